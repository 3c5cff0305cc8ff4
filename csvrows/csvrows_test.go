package csvrows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func readAll(t *testing.T, data []byte, encoding string) ([]Row, *Reader, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), encoding)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, r, nil
		}
		if err != nil {
			return rows, r, err
		}
		rows = append(rows, row)
	}
}

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	text := "type,enterprise_name,document_number\nlittle-giant,杭州云栖智算科技有限公司,\"工信部企业函〔2024〕135号\"\n"
	tests := []struct {
		name, encoding, want string
		data                 []byte
	}{
		{"utf-8", "", EncodingUTF8, []byte(text)},
		{"utf-8 with BOM", "", EncodingUTF8, append([]byte("\xef\xbb\xbf"), text...)},
		{"gb18030 detected", "", EncodingGB18030, gb18030(t, text)},
		{"gb18030 named", "gb18030", EncodingGB18030, gb18030(t, text)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, r, err := readAll(t, tc.data, tc.encoding)
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != tc.want || len(rows) != 1 || rows[0].Line != 2 ||
				rows[0].Fields["enterprise_name"] != "杭州云栖智算科技有限公司" || rows[0].Fields["document_number"] != "工信部企业函〔2024〕135号" {
				t.Fatalf("encoding %s rows %+v", r.Encoding(), rows)
			}
			if strings.Join(r.Header(), ",") != "type,enterprise_name,document_number" {
				t.Fatalf("header %v", r.Header())
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	wide := "a" + strings.Repeat(",a", 9999) + "\n"
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"truncated quote", "a,b\n1,\"open\n", "not closed"},
		{"10000 columns in the header", wide, "10000 columns"},
		{"10000 columns in a row", "a,b\n" + strings.Repeat("x,", 9999) + "x\n", "10000 columns"},
		{"more values than columns", "a,b\n1,2,3\n", "3 values"},
		{"duplicate column", "a,A\n1,2\n", "twice"},
		{"nameless column", "a,,b\n", "no name"},
		{"one huge line", "a\n" + strings.Repeat("x", 3<<20) + "\n", "longer than"},
		{"unknown encoding", "a\n", "unknown encoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := ""
			if tc.name == "unknown encoding" {
				enc = "latin-9"
			}
			_, _, err := readAll(t, []byte(tc.data), enc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestStreamsLargeFiles reads a file far larger than any buffer the reader
// keeps, generated on the fly, and checks the line numbers it reports.
func TestStreamsLargeFiles(t *testing.T) {
	const rows = 200_000
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "type,document_number\n")
		line := []byte("little-giant,工信部企业函〔2024〕135号,\n")
		for range rows {
			if _, err := pw.Write(line[:len(line)-2]); err != nil {
				return
			}
			_, _ = pw.Write([]byte("\n"))
		}
		pw.Close()
	}()
	r, err := NewReader(pr, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if row.Line != int64(n+1) {
			t.Fatalf("row %d reported at line %d", n, row.Line)
		}
	}
	if n != rows {
		t.Fatalf("read %d rows, want %d", n, rows)
	}
}

// FuzzReader feeds arbitrary bytes: the reader must never panic, and every
// row it returns must have only header columns.
func FuzzReader(f *testing.F) {
	f.Add([]byte("type,document_number\nlittle-giant,X\n"), "")
	f.Add([]byte("\xef\xbb\xbfa,b\n\"1\n2\",3\n"), "auto")
	f.Add([]byte("a\n\"unterminated\n"), "utf-8")
	f.Add([]byte("a,b\n\xd6\xd0,\xce\xc4\n"), "gb18030")
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		r, err := NewReader(bytes.NewReader(data), encoding)
		if err != nil {
			return
		}
		columns := map[string]bool{}
		for _, c := range r.Header() {
			columns[c] = true
		}
		for range 10_000 {
			row, err := r.Next()
			if err != nil {
				return
			}
			for k := range row.Fields {
				if !columns[k] {
					t.Fatalf("row has column %q not in the header", k)
				}
			}
		}
	})
}

// TestDetectsEncodingFromTheWholeFile reads files whose first 64 KiB and
// more are ASCII: one in GB18030 with Chinese only later must be read as
// GB18030, one in UTF-8 with a character across the 64 KiB boundary as
// UTF-8. A file is judged as a whole however its reads fall.
func TestDetectsEncodingFromTheWholeFile(t *testing.T) {
	const name = "杭州云栖智算科技有限公司"
	ascii := func(bytes int) string {
		var b strings.Builder
		b.WriteString("type,enterprise_name\n")
		for i := 0; b.Len() < bytes; i++ {
			fmt.Fprintf(&b, "little-giant,Hangzhou Company %06d\n", i)
		}
		return b.String()
	}
	prefix := ascii(sniffBytes + 1000)
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"gb18030 after 64 KiB of ascii", EncodingGB18030, gb18030(t, prefix+"little-giant,"+name+"\n")},
		{"utf-8 after 64 KiB of ascii", EncodingUTF8, []byte(prefix + "little-giant," + name + "\n")},
		{"utf-8 across the buffer boundary", EncodingUTF8, acrossBoundary("little-giant,", name)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, r, err := readAll(t, tc.data, "")
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != tc.want || rows[len(rows)-1].Fields["enterprise_name"] != name {
				t.Fatalf("read as %s, last row %+v", r.Encoding(), rows[len(rows)-1])
			}
		})
	}
	for cut := sniffBytes - 4; cut <= sniffBytes+4; cut++ {
		data := []byte(strings.Repeat("a", cut) + name)
		for _, size := range []int{1, 7, sniffBytes} {
			if ok, err := IsUTF8(&chunked{data: data, size: size}); err != nil || !ok {
				t.Fatalf("UTF-8 cut at %d in reads of %d: %v %v", cut, size, ok, err)
			}
		}
		if ok, _ := IsUTF8(bytes.NewReader(gb18030(t, string(data)))); ok {
			t.Fatalf("GB18030 cut at %d taken for UTF-8", cut)
		}
	}
}

// acrossBoundary is a file of ASCII rows whose last row's value begins one
// byte before 64 KiB, so its first character is cut by the first read.
func acrossBoundary(lead, value string) []byte {
	var b strings.Builder
	b.WriteString("type,enterprise_name\n")
	for b.Len()+100 < sniffBytes {
		b.WriteString("little-giant,Hangzhou Company\n")
	}
	end := sniffBytes - 1 - len(lead) // where the padding row must end
	b.WriteString("little-giant," + strings.Repeat("x", end-b.Len()-len("little-giant,\n")) + "\n")
	b.WriteString(lead + value + "\n")
	return []byte(b.String())
}

// chunked returns data size bytes a read.
type chunked struct {
	data []byte
	size int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	return n, nil
}
