package web

import (
	"math"
	"testing"
)

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0:               "0.00",
		5:               "0.05",
		100:             "1.00",
		99_999:          "999.99",
		100_000:         "1,000.00",
		200_000_000:     "2,000,000.00",
		300_000_000:     "3,000,000.00",
		1_234_567_891:   "12,345,678.91",
		-123_456:        "-1,234.56",
		math.MaxInt64:   "92,233,720,368,547,758.07",
		math.MinInt64:   "-92,233,720,368,547,758.08",
		-1:              "-0.01",
		100_000_000_000: "1,000,000,000.00",
	} {
		if got := yuan(fen); got != want {
			t.Errorf("yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}
