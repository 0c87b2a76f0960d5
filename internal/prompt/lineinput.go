package prompt

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// lineInput feeds huh's accessible mode: it reads the source in the
// background and hands out at most one line per Read, so that each prompt's
// own bufio.Scanner takes only its line; and a Read returns io.EOF as soon
// as the prompt's context is cancelled, so that a prompt blocked on the
// terminal ends at Ctrl-C (a signal in accessible mode, not a key).
type lineInput struct {
	src    io.Reader
	chunks chan []byte
	start  sync.Once

	ctx  context.Context
	buf  []byte
	eof  bool // the source ended (or ctx was cancelled) during this prompt
	gave bool // this prompt got some input
	// done: the source has ended for good.
	done bool
}

func newLineInput(src io.Reader) *lineInput {
	return &lineInput{src: src, chunks: make(chan []byte)}
}

// begin starts a prompt.
func (l *lineInput) begin(ctx context.Context) {
	l.ctx, l.eof, l.gave = ctx, false, false
	l.start.Do(func() { go l.pump() })
}

// ended reports whether this prompt met the end of the input (or a cancel)
// instead of a complete line.
func (l *lineInput) ended() bool {
	return l.eof && (!l.gave || l.ctx != nil && l.ctx.Err() != nil)
}

func (l *lineInput) pump() {
	b := make([]byte, 4096)
	for {
		n, err := l.src.Read(b)
		if n > 0 {
			l.chunks <- append([]byte(nil), b[:n]...)
		}
		if err != nil {
			close(l.chunks)
			return
		}
	}
}

func (l *lineInput) Read(p []byte) (int, error) {
	for {
		if i := bytes.IndexByte(l.buf, '\n'); i >= 0 {
			n := copy(p, l.buf[:i+1])
			l.buf = l.buf[n:]
			l.gave = true
			return n, nil
		}
		if l.done {
			if len(l.buf) > 0 {
				n := copy(p, l.buf)
				l.buf = l.buf[n:]
				l.gave = true
				return n, nil
			}
			l.eof = true
			return 0, io.EOF
		}
		ctx := l.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		select {
		case c, ok := <-l.chunks:
			if !ok {
				l.done = true
				continue
			}
			l.buf = append(l.buf, c...)
		case <-ctx.Done():
			l.eof = true
			return 0, io.EOF
		}
	}
}
