// Package web is the registry's browser adapter: the public certificate
// pages (/d/{id}, their QR codes, /verify) that anyone may open, and the
// console (/console/) where signed-in staff, enterprises and park
// operators do what the API lets them do. Pages are server-rendered
// html/template in Simplified Chinese or English, with their styles and
// the little JavaScript they use embedded in the binary.
//
// Handlers only convert: form values to registry calls, results and
// registry errors to pages. Every console call runs with the signed-in
// principal, so the registry decides what each user may see and do,
// exactly as it does for the API.
package web
