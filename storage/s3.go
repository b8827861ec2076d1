package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// S3Config holds what the standard AWS configuration chain does not.
type S3Config struct {
	Endpoint    string // custom endpoint (also AWS_ENDPOINT_URL_S3); implies path-style
	PathStyle   bool
	Region      string
	MaxAttempts int           // per request, with capped exponential backoff and jitter; default 8
	Timeout     time.Duration // per request attempt, body included; default 2m
	// UnenforcedLock takes a best-effort lock on a store that does not
	// enforce conditional writes, where Lock would refuse it.
	UnenforcedLock bool
}

// S3 is a bucket prefix on S3 or an S3-compatible store.
type S3 struct {
	client   *s3.Client
	up       *transfermanager.Client
	bucket   string
	prefix   string // "" or ending in "/"
	attempts int
	// unenforced: S3Config.UnenforcedLock.
	unenforced bool
}

// OpenS3 connects with the default credential chain (environment, shared
// config, SSO, IMDS...). Credentials are never logged or stored.
func OpenS3(ctx context.Context, uri string, c S3Config) (*S3, error) {
	bucket, prefix, err := ParseS3URI(uri)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 8
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	// A stalled connection must end in a retry, not a hang: every attempt,
	// body included, is bounded by the client timeout. The standard retryer
	// backs off exponentially with full jitter, capped; its retry quota is off
	// because one failing request must not starve the rest of a long batch run.
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
	// The SDK's own log lines (a warning for every cut-off body it retries)
	// go to slog at debug level, next to twigdata's, instead of raw stderr.
	cfg.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		slog.Debug("aws sdk: "+fmt.Sprintf(format, v...), "class", string(c))
	})
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = 10 * time.Second
			o.RateLimiter = ratelimit.None
			// A response cut off or stalled mid-body fails in deserialization,
			// which the SDK does not retry by itself. versitygw's POSIX
			// backend answers 409 ExistingObjectIsDirectory to a PUT that
			// races a delete emptying the same folder (issue 1988: the
			// delete removes the folder the PUT is making; nothing is
			// written), which partitions taking their locks in one
			// .twigdata/ folder do: retried, it succeeds. A real conflict
			// with a folder fails the same way after the attempts.
			o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				var ne net.Error
				var ae smithy.APIError
				if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || (errors.As(err, &ne) && ne.Timeout()) ||
					errors.As(err, &ae) && ae.ErrorCode() == "ExistingObjectIsDirectory" {
					return aws.TrueTernary
				}
				return aws.UnknownTernary
			}))
		})
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		if c.PathStyle {
			o.UsePathStyle = true
		}
	})
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{client: client, up: transfermanager.New(client), bucket: bucket, prefix: prefix, attempts: attempts, unenforced: c.UnenforcedLock}, nil
}

// bucketName is what S3 accepts as a general purpose bucket's name.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ParseS3URI splits s3://bucket/key-or-prefix. The rest after the bucket is
// taken as it is — "#", "?" and "%" are ordinary characters of S3 keys, not
// URL syntax — and a bucket name S3 would refuse is an ErrInvalidKey.
func ParseS3URI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%s is not an s3://bucket/prefix URI: %w", Quote(uri), ErrInvalidKey)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") {
		return "", "", fmt.Errorf("%s: %s is not a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens): %w", Quote(uri), Quote(bucket), ErrInvalidKey)
	}
	return bucket, key, nil
}

// URI is s3://bucket/prefix/key.
func (s *S3) URI(key string) string { return "s3://" + s.bucket + "/" + s.prefix + key }

// List pages through ListObjectsV2, handing each page's objects to fn as it
// arrives. S3 lists in UTF-8 byte order, which pairing files by stem relies
// on; a store that lists otherwise (s3rver walks its folders) is refused
// with ErrUnordered at the first key out of order, never read silently.
func (s *S3) List(ctx context.Context, prefix string, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + prefix),
	})
	last := ""
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.explain("list", prefix, err)
		}
		for _, o := range page.Contents {
			full := aws.ToString(o.Key)
			if full <= last && last != "" {
				return fmt.Errorf("s3 list %s: the store listed %s after %s, out of the byte order S3 lists keys in, which twigdata relies on to pair files by name; use a store that lists as S3 does: %w",
					s.URI(prefix), Quote(full), Quote(last), ErrUnordered)
			}
			last = full
			key := strings.TrimPrefix(full, s.prefix)
			if err := fn(Object{Key: key, Size: aws.ToInt64(o.Size)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get opens an object for streaming: the body is read once, as the caller
// reads it, never held whole. The SDK retries failed requests; a body cut
// off or stalled after the response started is taken up again from the
// byte it stopped at (a Range request, pinned to the object's ETag so a
// replaced object fails instead of mixing two versions), with capped
// exponential backoff, up to the attempt limit without progress.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.openLimit(ctx, key, -1)
}

// ReadRange reads n bytes of key from offset off with one ranged GET.
func (s *S3) ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))})
	if err != nil {
		return nil, s.explain("get", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, n))
	if err != nil {
		return nil, s.explain("get", key, err)
	}
	return data, nil
}

// openLimit opens an object for streaming, refusing it from the response's
// length, before any byte of the body is read, when it is over limit (-1:
// none).
func (s *S3) openLimit(ctx context.Context, key string, limit int64) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.explain("get", key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if limit >= 0 && out.ContentLength != nil && size > limit {
		out.Body.Close()
		return nil, fmt.Errorf("%s has %d bytes, above the %d-byte limit: %w", Quote(s.URI(key)), size, limit, ErrTooLarge)
	}
	b := &s3Body{s: s, ctx: ctx, key: key, etag: aws.ToString(out.ETag), size: -1, body: out.Body}
	if out.ContentLength != nil {
		b.size = size
	}
	if limit >= 0 { // a response without a length is held to the limit as it is read
		return &limitReadCloser{rc: b, left: limit, uri: s.URI(key), limit: limit}, nil
	}
	return b, nil
}

// s3Body streams an object's body, resuming from its offset after a fault.
type s3Body struct {
	s        *S3
	ctx      context.Context
	key      string
	etag     string
	size     int64 // -1: unknown
	off      int64
	body     io.ReadCloser
	failures int   // consecutive faults without a byte of progress
	last     error // the last fault
}

func (b *s3Body) Read(p []byte) (int, error) {
	for {
		if b.body == nil {
			if err := b.reopen(); err != nil {
				return 0, err
			}
		}
		n, err := b.body.Read(p)
		b.off += int64(n)
		if n > 0 {
			b.failures = 0
		}
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, io.EOF) && (b.size < 0 || b.off == b.size):
			return n, io.EOF
		case errors.Is(err, io.EOF):
			err = fmt.Errorf("body ended at byte %d of %d: %w", b.off, b.size, io.ErrUnexpectedEOF)
		}
		b.body.Close()
		b.body, b.last = nil, err
		b.failures++
		if n > 0 {
			return n, nil // the fault is taken up on the next Read
		}
	}
}

// reopen takes the body up again at the current offset, after a backoff.
func (b *s3Body) reopen() error {
	for {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		if b.failures >= b.s.attempts {
			return fmt.Errorf("s3 get %s: body failed %d times at byte %d, last: %w", b.s.URI(b.key), b.failures, b.off, b.last)
		}
		if err := sleep(b.ctx, backoff(b.failures)); err != nil {
			return err
		}
		in := &s3.GetObjectInput{Bucket: aws.String(b.s.bucket), Key: aws.String(b.s.prefix + b.key), Range: aws.String(fmt.Sprintf("bytes=%d-", b.off))}
		if b.etag != "" {
			in.IfMatch = aws.String(b.etag)
		}
		out, err := b.s.client.GetObject(b.ctx, in)
		if err != nil {
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() == 412 {
				return fmt.Errorf("s3 get %s: the object changed while it was read (its ETag no longer matches)", b.s.URI(b.key))
			}
			b.failures++
			b.last = b.s.explain("get", b.key, err)
			continue
		}
		b.body = out.Body
		return nil
	}
}

func (b *s3Body) Close() error {
	if b.body != nil {
		return b.body.Close()
	}
	return nil
}

// backoff is capped exponential backoff with full jitter.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt, 8)
	d = min(d, 10*time.Second)
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Put uploads through the transfer manager (multipart above its part size);
// S3 makes an object visible only once its upload completed.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	return s.PutFrom(ctx, key, bytes.NewReader(data))
}

// PutFrom uploads what r holds; a large one goes up in parts as it is read
// (the transfer manager holds a few parts at a time, never the whole).
func (s *S3) PutFrom(ctx context.Context, key string, r io.Reader) error {
	if _, err := CleanKey(key); err != nil {
		return err
	}
	_, err := s.up.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), Body: r,
	})
	if err != nil {
		return s.explain("put", key, err)
	}
	return nil
}

// CleanTemp aborts the multipart uploads a killed process never finished, of
// keys in dir (not below it) whose names contain name: S3 keeps their parts,
// unlisted and billed, until they are aborted. The caller's lock or run
// prefix makes the matching uploads its own, as for Local. Credentials that
// may write objects but not list or abort uploads
// (s3:ListBucketMultipartUploads, s3:AbortMultipartUpload) skip the cleanup
// rather than fail the build: a lifecycle rule then has to do it.
func (s *S3) CleanTemp(ctx context.Context, dir, name string) (int, error) {
	prefix := s.prefix
	if dir != "" && dir != "." {
		prefix += strings.TrimSuffix(dir, "/") + "/"
	}
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	n := 0
	fail := func(op, key string, err error) (int, error) {
		if isNotImplemented(err) {
			return n, nil // a store without multipart listing: nothing to clean that it would show
		}
		if err = s.explain(op, key, err); errors.Is(err, ErrDenied) {
			return n, nil // not allowed to clean: skip it, the build goes on
		}
		return n, err
	}
	for {
		page, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return fail("list uploads", dir, err)
		}
		for _, u := range page.Uploads {
			key := aws.ToString(u.Key)
			// The delimiter keeps deeper keys out; a server that ignores it
			// must not widen the cleanup.
			if base := strings.TrimPrefix(key, prefix); strings.Contains(base, "/") || !strings.Contains(base, name) {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: u.UploadId})
			if err != nil && !isNoSuchUpload(err) {
				return fail("abort upload", strings.TrimPrefix(key, s.prefix), err)
			}
			n++
		}
		if !aws.ToBool(page.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = page.NextKeyMarker, page.NextUploadIdMarker
	}
}

// isNoSuchUpload reports an upload finished or aborted since it was listed.
func isNoSuchUpload(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload"
}

// Delete removes an object.
func (s *S3) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return s.explain("delete", key, err)
	}
	return nil
}

// explain turns SDK errors into messages that name the bucket and what to check.
func (s *S3) explain(op, key string, err error) error {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return fmt.Errorf("%s: %w", s.URI(key), ErrNotExist)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("s3 %s %s: bucket %q does not exist (check the bucket name and --s3-endpoint/region): %w", op, s.URI(key), s.bucket, ErrNoBucket)
		case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return fmt.Errorf("s3 %s %s: access denied (%s): check the AWS credentials and that they may %s in bucket %q: %w", op, s.URI(key), api.ErrorCode(), op, s.bucket, ErrDenied)
		case "NotFound":
			return fmt.Errorf("%s: %w", s.URI(key), ErrNotExist)
		case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
			return fmt.Errorf("s3 %s %s: the bucket %q is in another region than the one asked (%s: %s): pass --s3-region with the bucket's region (or set AWS_REGION)", op, s.URI(key), s.bucket, api.ErrorCode(), api.ErrorMessage())
		case "NotImplemented":
			return fmt.Errorf("s3 %s %s: the store does not implement this request (501 NotImplemented)", op, s.URI(key))
		case "KeyTooLongError", "InvalidBucketName":
			return fmt.Errorf("s3 %s %s: %s: %w", op, Quote(s.URI(key)), api.ErrorCode(), ErrInvalidKey)
		}
	}
	return fmt.Errorf("s3 %s %s: %w", op, s.URI(key), err)
}
