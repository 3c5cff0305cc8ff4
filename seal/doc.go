// Package seal keeps the registry's secrets: the master secret key and
// what is derived from it (the AEAD that seals identity documents and
// signing keys, the keyed lookup hash, the page-token MAC and the key
// check value that recognises the key).
package seal
