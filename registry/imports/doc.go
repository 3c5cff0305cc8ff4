// Package imports runs bulk imports of enterprises, designations,
// tenancies, awards, and support applications and payments: authorized
// before the first row, rows checked as they stream in and kept sealed in
// a temporary file, and written in one short transaction at the end, run
// again if a concurrent writer collides.
package imports
