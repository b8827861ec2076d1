// Package s3test starts a real S3 server on a free loopback port for the
// tests of any package: versitygw (the reference, .deps/bin), moto
// (.deps/moto) or s3rver (.deps/s3rver), all installed by `make test`.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Test credentials of the throwaway servers: s3rver's fixed ones, which
// versitygw is started with and moto takes as any.
const (
	AccessKey = "S3RVER"
	SecretKey = "S3RVER"
)

// Impl names an S3 implementation the tests run against.
type Impl string

// The S3 implementations of the suite.
const (
	Versitygw Impl = "versitygw" // Versity's gateway on a posix folder: the reference
	Moto      Impl = "moto"      // the server of the AWS mocking library (Python)
	S3rver    Impl = "s3rver"    // a Node server that does not enforce conditional writes
)

// Impls are every implementation, the reference first.
var Impls = []Impl{Versitygw, Moto, S3rver}

// Server is a running S3 server with its data in a temporary folder.
type Server struct {
	Impl     Impl
	Endpoint string // http://127.0.0.1:PORT
	dir      string
	cmd      *exec.Cmd
}

// dep finds rel under .deps in this folder or a parent.
func dep(rel, install string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, ".deps", rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf(".deps/%s not found: run `make test` (it installs the S3 test servers with %s)", rel, install)
		}
	}
}

// command is how a server of implementation k is started on addr with its data in dir.
func command(k Impl, addr, dir string) (*exec.Cmd, error) {
	host, port, _ := net.SplitHostPort(addr)
	switch k {
	case Versitygw:
		bin := os.Getenv("VERSITYGW")
		if bin == "" {
			var err error
			if bin, err = dep("bin/versitygw", "scripts/fetch-versitygw.sh"); err != nil {
				return nil, err
			}
		}
		return exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--port", addr, "posix", dir), nil
	case Moto:
		bin, err := dep("moto/bin/moto_server", "scripts/fetch-s3-servers.sh")
		if err != nil {
			return nil, err
		}
		return exec.Command(bin, "-H", host, "-p", port), nil
	case S3rver:
		bin, err := dep("s3rver/node_modules/.bin/s3rver", "scripts/fetch-s3-servers.sh")
		if err != nil {
			return nil, err
		}
		return exec.Command(bin, "-d", dir, "-a", host, "-p", port, "--silent", "--no-vhost-buckets"), nil
	}
	return nil, fmt.Errorf("no S3 server %q", k)
}

// Start launches versitygw and waits until it accepts connections. It also
// points the AWS environment at it, so code under test uses the standard
// configuration chain exactly as in production.
func Start() (*Server, error) {
	s, err := StartImpl(Versitygw)
	if err != nil {
		return nil, err
	}
	os.Setenv("AWS_ENDPOINT_URL_S3", s.Endpoint)
	return s, nil
}

// StartImpl launches a server of implementation k and waits until it accepts
// connections. It sets the AWS credentials of the environment to the test
// ones, not the endpoint: code under test names it (S3Config.Endpoint).
func StartImpl(k Impl) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	dir, err := os.MkdirTemp("", string(k)+"-")
	if err != nil {
		return nil, err
	}
	cmd, err := command(k, addr, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if os.Getenv("S3TEST_VERBOSE") == "" {
		cmd.Stdout, cmd.Stderr = nil, nil
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", k, err)
	}
	s := &Server{Impl: k, Endpoint: "http://" + addr, dir: dir, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("%s did not listen on %s within 30s", k, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": AccessKey, "AWS_SECRET_ACCESS_KEY": SecretKey, "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	return s, nil
}

// Stop ends the server and removes its data.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}

// Client is an S3 client for test setup, talking to this server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// CreateBucket makes a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	return err
}
