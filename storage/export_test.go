package storage

import "io"

// CutForTest drops an S3 body's connection as a network fault would, so
// that the next Read takes it up again with a Range request.
func CutForTest(rc io.ReadCloser) {
	if l, ok := rc.(*limitReadCloser); ok {
		rc = l.rc
	}
	if b, ok := rc.(*s3Body); ok && b.body != nil {
		b.body.Close()
		b.body = nil
		b.last = io.ErrUnexpectedEOF
		b.failures++
	}
}
