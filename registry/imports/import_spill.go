package imports

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
)

// spill holds values of one type in a temporary file, written in order
// and read back in order once, so an import's memory stays bounded however
// many rows it receives. A file is chosen over a temporary table because
// the rows must wait outside any database transaction, and on SQLite
// writing a table takes the very write lock the import must not hold.
//
// The file is unlinked as soon as it is created where the system allows
// (it then disappears even if the process dies), and otherwise removed by
// close. Its content is encrypted (AES-CTR) with a key that exists only in
// memory, so rows naming people by identity number never reach the disk
// in clear.
type spill struct {
	f      *os.File
	path   string // set while the file still has a name to remove
	block  cipher.Block
	iv     []byte
	w      *bufio.Writer
	enc    *gob.Encoder
	n      int
	closed bool
}

func newSpill() (*spill, error) {
	f, err := os.CreateTemp("", "registry-import-*.gob")
	if err != nil {
		return nil, fmt.Errorf("import spill file: %w", err)
	}
	s := &spill{f: f, path: f.Name()}
	if os.Remove(s.path) == nil {
		s.path = ""
	}
	key := make([]byte, 32)
	s.iv = make([]byte, aes.BlockSize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	_, _ = rand.Read(s.iv)
	if s.block, err = aes.NewCipher(key); err != nil {
		_ = s.close()
		return nil, err
	}
	s.w = bufio.NewWriterSize(cipher.StreamWriter{S: cipher.NewCTR(s.block, s.iv), W: f}, 64<<10)
	s.enc = gob.NewEncoder(s.w)
	return s, nil
}

// add appends v; every value of one spill has the same type.
func (s *spill) add(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return fmt.Errorf("import spill file: %w", err)
	}
	s.n++
	return nil
}

// replay reads the values back in chunks of at most size, calling f with
// each; T must be the type given to add. The next chunk is read and
// decoded while f works on the current one, so the file and the database
// work overlap; at most three chunks are in memory.
func replay[T any](s *spill, size int, f func([]T) error) error {
	if s.n == 0 {
		return nil
	}
	next, err := reader[T](s)
	if err != nil {
		return err
	}
	type chunk struct {
		rows []T
		err  error
	}
	chunks := make(chan chunk, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		c := chunk{rows: make([]T, 0, min(size, s.n))}
		for i := range s.n {
			v, err := next()
			if err != nil {
				c.err = err
			} else {
				c.rows = append(c.rows, v)
			}
			if c.err != nil || len(c.rows) == size || i == s.n-1 {
				select {
				case chunks <- c:
				case <-stop:
					return
				}
				if c.err != nil {
					return
				}
				c = chunk{rows: make([]T, 0, min(size, s.n-i-1))}
			}
		}
	}()
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		if err := f(c.rows); err != nil {
			return err
		}
	}
	return nil
}

// reader returns a function reading the values back one at a time, from
// the first; T must be the type given to add. Exactly s.n values can be
// read.
func reader[T any](s *spill) (func() (T, error), error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("import spill file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("import spill file: %w", err)
	}
	plain := cipher.StreamReader{S: cipher.NewCTR(s.block, s.iv), R: s.f}
	dec := gob.NewDecoder(bufio.NewReaderSize(plain, 64<<10))
	return func() (T, error) {
		var v T
		if err := dec.Decode(&v); err != nil {
			return v, fmt.Errorf("import spill file: %w", err)
		}
		return v, nil
	}, nil
}

// close releases the file; it is safe to call more than once.
func (s *spill) close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	err := s.f.Close()
	if s.path != "" {
		err = errors.Join(err, os.Remove(s.path))
	}
	return err
}
