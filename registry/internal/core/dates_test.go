package core

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		name, value   string
		required      bool
		want, wantVio string
	}{
		{name: "date", value: "2026-06-15", want: "2026-06-15"},
		{name: "leap day", value: "2028-02-29", want: "2028-02-29"},
		{name: "not a leap year", value: "2026-02-29", wantVio: "YYYY-MM-DD"},
		{name: "month 13", value: "2026-13-01", wantVio: "YYYY-MM-DD"},
		{name: "day 31 of a 30-day month", value: "2026-06-31", wantVio: "YYYY-MM-DD"},
		{name: "no zero padding", value: "2026-6-15", wantVio: "YYYY-MM-DD"},
		{name: "slashes", value: "2026/06/15", wantVio: "YYYY-MM-DD"},
		{name: "compact", value: "20260615", wantVio: "YYYY-MM-DD"},
		{name: "with time", value: "2026-06-15T00:00:00Z", wantVio: "YYYY-MM-DD"},
		{name: "surrounding space", value: " 2026-06-15", wantVio: "YYYY-MM-DD"},
		{name: "year 1899", value: "1899-12-31", wantVio: "between 1900 and 2999"},
		{name: "year 1900", value: "1900-01-01", want: "1900-01-01"},
		{name: "year 2999", value: "2999-12-31", want: "2999-12-31"},
		{name: "year 3000", value: "3000-01-01", wantVio: "between 1900 and 2999"},
		{name: "empty optional", value: ""},
		{name: "empty required", value: "", required: true, wantVio: "is required (YYYY-MM-DD)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Violations{}
			if got := ParseDate(v, "valid_from", tc.value, tc.required); got != tc.want {
				t.Errorf("ParseDate(%q) = %q, want %q", tc.value, got, tc.want)
			}
			checkOneViolation(t, v, "valid_from", tc.wantVio)
		})
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		date string
		n    int
		want string
	}{
		{"2026-01-15", 1, "2026-02-15"},
		{"2026-01-15", 12, "2027-01-15"},
		{"2026-01-15", -1, "2025-12-15"},
		{"2026-01-31", 1, "2026-03-03"}, // carries past February's end, as AddDate does
		{"2028-02-29", 12, "2029-03-01"},
		{"2026-01-15", 0, "2026-01-15"},
		{"not a date", 3, "not a date"},
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			if got := AddMonths(tc.date, tc.n); got != tc.want {
				t.Errorf("AddMonths(%s, %d) = %s, want %s", tc.date, tc.n, got, tc.want)
			}
		})
	}
}

func TestValidateYear(t *testing.T) {
	for _, tc := range []struct {
		year int
		ok   bool
	}{{1999, false}, {2000, true}, {2026, true}, {2100, true}, {2101, false}, {0, false}} {
		v := &Violations{}
		ValidateYear(v, "year", tc.year)
		if ok := len(v.List) == 0; ok != tc.ok {
			t.Errorf("ValidateYear(%d): violations %v, want ok=%v", tc.year, v.List, tc.ok)
		}
	}
}

// TestToday checks that today is the calendar date in China Standard Time,
// whatever zone the clock's instant is given in.
func TestToday(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"noon CST", time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC), "2026-06-15"},
		{"last second of the day in CST", time.Date(2026, 6, 15, 15, 59, 59, 0, time.UTC), "2026-06-15"},
		{"midnight CST is 16:00 UTC", time.Date(2026, 6, 15, 16, 0, 0, 0, time.UTC), "2026-06-16"},
		{"evening in New York is the next morning in Hangzhou", time.Date(2026, 12, 31, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), "2027-01-01"},
		{"a zone ahead of CST", time.Date(2026, 6, 16, 0, 30, 0, 0, time.FixedZone("JST", 9*3600)), "2026-06-15"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Core{Clock: func() time.Time { return tc.now }}
			if got := c.Today(); got != tc.want {
				t.Errorf("Today at %v = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}

// TestNowTruncated checks that Now is UTC and keeps microseconds, what
// every database stores.
func TestNowTruncated(t *testing.T) {
	in := time.Date(2026, 6, 15, 12, 0, 0, 123456789, ChinaStandardTime)
	got := (&Core{Clock: func() time.Time { return in }}).Now()
	if got.Location() != time.UTC || got.Nanosecond() != 123456000 || !got.Equal(in.Truncate(time.Microsecond)) {
		t.Errorf("Now = %v, want %v in UTC", got, in.Truncate(time.Microsecond).UTC())
	}
}
