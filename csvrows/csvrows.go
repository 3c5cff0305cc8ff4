// Package csvrows reads the CSV files bureaus import: a header row of
// column names, then one record per row, in UTF-8 (with or without a byte
// order mark) or GB18030, which Chinese government offices often use. It
// streams: memory stays bounded however large the file, and a record that
// is too long, too wide or malformed is a clear error naming its line.
package csvrows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encodings a Reader accepts.
const (
	EncodingAuto    = "auto"
	EncodingUTF8    = "utf-8"
	EncodingGB18030 = "gb18030"
)

// Limits on a file's shape.
const (
	MaxColumns     = 64
	MaxRecordBytes = 1 << 20
	sniffBytes     = 64 << 10
)

// Row is one record: its line in the file and its values by column name.
type Row struct {
	Line   int64
	Fields map[string]string
}

// Reader reads rows from a CSV file.
type Reader struct {
	csv      *csv.Reader
	limit    *recordLimit
	header   []string
	encoding string
	lastLine int // line where the last record read began
}

// NewReader reads the header of r. encoding is EncodingAuto (or empty):
// UTF-8 when the file is valid UTF-8, GB18030 otherwise; EncodingUTF8; or
// EncodingGB18030. A UTF-8 byte order mark is dropped. With EncodingAuto
// a seekable r (a file) is read through once to decide, with bounded
// memory, and then from where it stood; any other r is judged by its
// first 64 KiB only, so give such input an explicit encoding, or copy it
// to a file first.
func NewReader(r io.Reader, encoding string) (*Reader, error) {
	if encoding == "" || strings.EqualFold(encoding, EncodingAuto) {
		detected, err := detectSeekable(r)
		if err != nil {
			return nil, err
		}
		if detected != "" {
			encoding = detected
		}
	}
	br := bufio.NewReaderSize(r, sniffBytes)
	sample, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(sample, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
		sample = sample[3:]
		if encoding == "" || encoding == EncodingAuto || encoding == detectedGB18030 {
			encoding = EncodingUTF8 // a byte order mark says so
		}
	}
	switch strings.ToLower(encoding) {
	case "", EncodingAuto:
		encoding = EncodingUTF8
		if !validUTF8Prefix(sample) {
			encoding = EncodingGB18030
		}
	case EncodingUTF8, "utf8":
		encoding = EncodingUTF8
	case EncodingGB18030, "gbk", "gb2312", detectedGB18030:
		encoding = EncodingGB18030
	default:
		return nil, fmt.Errorf("unknown encoding %q: use auto, utf-8 or gb18030", encoding)
	}
	var src io.Reader = br
	if encoding == EncodingGB18030 {
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	limit := &recordLimit{r: src}
	c := csv.NewReader(limit)
	c.FieldsPerRecord = -1
	c.ReuseRecord = true
	rd := &Reader{csv: c, limit: limit, encoding: encoding}
	header, err := rd.record()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header row of column names")
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "":
			return nil, fmt.Errorf("line 1: column %d has no name", i+1)
		case seen[name]:
			return nil, fmt.Errorf("line 1: column %q appears twice", name)
		}
		seen[name] = true
		rd.header = append(rd.header, name)
	}
	return rd, nil
}

// detectedGB18030 is what detectSeekable finds in a file that is not
// UTF-8; unlike a named encoding, a byte order mark overrides it.
const detectedGB18030 = "gb18030 (detected)"

// detectSeekable reads a seekable r to its end to tell UTF-8 from
// GB18030, then seeks back to where r stood. It returns "" when r cannot
// seek, leaving it unread.
func detectSeekable(r io.Reader) (string, error) {
	s, ok := r.(io.Seeker)
	if !ok {
		return "", nil
	}
	start, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", nil // a pipe or terminal: not seekable after all
	}
	valid, err := IsUTF8(r)
	if err != nil {
		return "", err
	}
	if _, err := s.Seek(start, io.SeekStart); err != nil {
		return "", err
	}
	if valid {
		return EncodingUTF8, nil
	}
	return detectedGB18030, nil
}

// IsUTF8 reads r to its end and reports whether all of it is valid UTF-8,
// holding at most 64 KiB at a time.
func IsUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, sniffBytes)
	carry := 0 // bytes of a rune cut off by the previous read
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		end := n
		if err == nil {
			end = completeRunes(buf[:n])
		}
		if !utf8.Valid(buf[:end]) {
			return false, nil
		}
		carry = copy(buf, buf[end:n])
		switch {
		case errors.Is(err, io.EOF):
			return true, nil
		case err != nil:
			return false, err
		}
	}
}

// completeRunes returns the length of b without a UTF-8 sequence that may
// be cut off at its end (more bytes may complete it).
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// validUTF8Prefix reports whether b is valid UTF-8, ignoring a rune cut
// off at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return len(b) == 0
}

// Header returns the column names, trimmed and in lower case.
func (r *Reader) Header() []string { return r.header }

// Encoding returns the encoding the file is read in.
func (r *Reader) Encoding() string { return r.encoding }

// Next returns the next row, or io.EOF after the last. Blank lines are
// skipped. A row with more values than the header has columns is an error.
func (r *Reader) Next() (Row, error) {
	rec, err := r.record()
	if err != nil {
		return Row{}, err
	}
	if len(rec) > len(r.header) {
		return Row{}, fmt.Errorf("line %d: %d values but the header names %d columns", r.lastLine, len(rec), len(r.header))
	}
	row := Row{Line: int64(r.lastLine), Fields: make(map[string]string, len(r.header))}
	for i, v := range rec {
		row.Fields[r.header[i]] = strings.TrimSpace(v)
	}
	return row, nil
}

// record reads one record within the limits.
func (r *Reader) record() ([]string, error) {
	r.limit.n = 0
	rec, err := r.csv.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errRecordTooLong):
		return nil, fmt.Errorf("the record after line %d is longer than %d bytes", r.lastLine, MaxRecordBytes)
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote):
		return nil, fmt.Errorf("line %d: a quoted value is not closed (or a stray quote)", pe.StartLine)
	case errors.As(err, &pe):
		return nil, fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	case err != nil:
		return nil, err
	}
	r.lastLine, _ = r.csv.FieldPos(0)
	if len(rec) > MaxColumns {
		return nil, fmt.Errorf("line %d has %d columns; at most %d are allowed", r.lastLine, len(rec), MaxColumns)
	}
	return rec, nil
}

var errRecordTooLong = errors.New("record too long")

// recordLimit fails a read once more than MaxRecordBytes (plus the read
// buffer) have been read since the current record began, so no single
// record can take unbounded memory.
type recordLimit struct {
	r io.Reader
	n int
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n > MaxRecordBytes {
		return 0, errRecordTooLong
	}
	n, err := l.r.Read(p)
	l.n += n
	return n, err
}
