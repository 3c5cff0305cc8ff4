package core

import (
	"time"
)

// ChinaStandardTime is UTC+8 all year; China observes no daylight saving.
var ChinaStandardTime = time.FixedZone("CST", 8*60*60)

// dateLayout is the calendar-date format of every date the registry takes
// and returns.
const dateLayout = "2006-01-02"

// Clock returns the current instant; tests inject their own.
type Clock func() time.Time

// Today returns the calendar date in Asia/Shanghai.
func (r *Core) Today() string { return DateOf(r.Clock()) }

// DateOf returns the calendar date of the instant t in Asia/Shanghai.
func DateOf(t time.Time) string { return t.In(ChinaStandardTime).Format(dateLayout) }

// ParseDate validates a YYYY-MM-DD date, adding a violation for field when
// it is missing (and required) or malformed.
func ParseDate(v *Violations, field, value string, required bool) string {
	if value == "" {
		if required {
			v.Add(field, "is required (YYYY-MM-DD)")
		}
		return ""
	}
	t, err := time.Parse(dateLayout, value)
	if err != nil || t.Format(dateLayout) != value {
		v.Add(field, "must be a date YYYY-MM-DD")
		return ""
	}
	if t.Year() < 1900 || t.Year() > 2999 {
		v.Add(field, "must be a year between 1900 and 2999")
		return ""
	}
	return value
}

// AddMonths adds n months to a YYYY-MM-DD date; a day past the end of the
// target month carries into the next, as time.AddDate does.
func AddMonths(date string, n int) string {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, n, 0).Format(dateLayout)
}

func ValidateYear(v *Violations, field string, year int) {
	if year < 2000 || year > 2100 {
		v.Add(field, "must be a year between 2000 and 2100")
	}
}
