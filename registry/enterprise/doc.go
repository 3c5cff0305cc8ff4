// Package enterprise registers enterprises by unified social credit code
// and reads them (an enterprise sees only itself).
package enterprise
