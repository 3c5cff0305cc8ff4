package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/park"
)

// notFoundDesignation is the one answer for an unknown and a malformed
// id, so the page tells nothing about which ids exist or how they look.
var notFoundDesignation = &problem{Status: http.StatusNotFound, Headline: Text{"未找到该证书", "No such certificate"},
	Message: "没有此编号的认定记录。请核对证书上的编号或二维码。 / No designation has this id. Check the id or QR code on the certificate."}

// publicStatus loads the designation's public status, answering the 404
// page itself for an unknown or malformed id. ok is false when it has
// answered.
func (s *Server) publicStatus(w http.ResponseWriter, r *http.Request) (designation.PublicStatus, bool) {
	st, err := s.reg.GetDesignationStatus(r.Context(), r.PathValue("id"))
	switch registry.KindOf(err) {
	case registry.KindNotFound, registry.KindInvalidArgument:
		s.fail(w, r, notFoundDesignation)
		return st, false
	}
	if err != nil {
		s.failErr(w, r, err)
		return st, false
	}
	return st, true
}

// lookup sends the home page's id form to the certificate's page.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/d/"+url.PathEscape(id), http.StatusSeeOther)
}

// designationPage is a designation's public page: what its QR code opens.
// It is read afresh on every request, so a revocation shows at once.
func (s *Server) designationPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.publicStatus(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "designation.html", view{
		Title: Text{st.Type.NameZh + " 认定状态", st.Type.NameEn + " — status"},
		Data: struct {
			designation.PublicStatus
			PageURL string
		}{st, s.designationURL(r, st.ID)},
	})
}

func (s *Server) designationURL(r *http.Request, id string) string {
	return s.baseURL(r) + "/d/" + url.PathEscape(id)
}

// qrFor encodes text as a QR code with medium error correction, which
// survives a worn or partly covered print.
func qrFor(text string) (*qrcode.QRCode, error) {
	return qrcode.New(text, qrcode.Medium)
}

func (s *Server) designationQRSVG(w http.ResponseWriter, r *http.Request) {
	s.designationQR(w, r, "image/svg+xml", func(q *qrcode.QRCode) ([]byte, error) { return qrSVG(q), nil })
}

func (s *Server) designationQRPNG(w http.ResponseWriter, r *http.Request) {
	s.designationQR(w, r, "image/png", func(q *qrcode.QRCode) ([]byte, error) { return q.PNG(512) })
}

// designationQR answers the QR code of a designation's page as drawn by
// draw. With a public URL, caches may keep it, as the page's address never
// changes; without one the address comes from the request's Host header,
// which a shared cache must not remember for everyone.
func (s *Server) designationQR(w http.ResponseWriter, r *http.Request, contentType string, draw func(*qrcode.QRCode) ([]byte, error)) {
	st, ok := s.publicStatus(w, r)
	if !ok {
		return
	}
	q, err := qrFor(s.designationURL(r, st.ID))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	img, err := draw(q)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	if s.public != nil {
		w.Header().Set("Cache-Control", "public, max-age=86400")
	} else {
		w.Header().Set("Cache-Control", "private, max-age=3600")
	}
	_, _ = w.Write(img)
}

// qrSVG draws the code's modules (quiet zone included) as one path of
// unit squares, scaled by the viewer.
func qrSVG(q *qrcode.QRCode) []byte {
	bits := q.Bitmap()
	n := len(bits)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, n, n, n*8, n*8)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes()
}

// attestationProblems say in words why an attestation does not hold.
var attestationProblems = map[string]Text{
	park.ProblemMalformed:          {"格式不正确，不是本系统签发的资格证明", "Malformed: not an attestation this registry issues"},
	park.ProblemNonCanonical:       {"编码不规范，可能被改动", "Not in its canonical encoding: it may have been altered"},
	park.ProblemUnknownKey:         {"签名密钥未知或已撤回", "Signed with an unknown or withdrawn key"},
	park.ProblemBadSignature:       {"签名无效，内容可能被篡改", "The signature does not match: the content may have been altered"},
	park.ProblemOutsideKeyPeriod:   {"签发时间不在该密钥的有效期内", "Issued outside its key's period"},
	park.ProblemLifetime:           {"有效期超过允许的 30 天", "Valid for longer than the 30 days allowed"},
	park.ProblemExpired:            {"已过有效期", "Expired"},
	park.ProblemDesignationChanged: {"所依据的认定此后已发生变化", "A designation it relied on has changed since"},
}

// reasonWords name an attestation's reason codes.
var reasonWords = map[string]Text{
	park.ReasonTenancyActive:       {"入驻有效", "tenancy in force"},
	park.ReasonNoTenancy:           {"无有效入驻", "no tenancy in force"},
	park.ReasonTenancyLongEnough:   {"入驻时间满足要求", "tenancy long enough"},
	park.ReasonTenancyTooShort:     {"入驻时间不足", "tenancy too short"},
	park.ReasonDesignationHeld:     {"持有符合条件的认定", "holds a qualifying designation"},
	park.ReasonNoDesignation:       {"未持有符合条件的认定", "holds no qualifying designation"},
	park.ReasonEnterpriseYoung:     {"企业成立年限符合要求", "enterprise young enough"},
	park.ReasonEnterpriseTooOld:    {"企业成立年限超出要求", "enterprise too old"},
	park.ReasonRegistrationUnknown: {"企业成立日期未登记", "registration date not on record"},
}

// verifyView is what /verify shows.
type verifyView struct {
	Token   string
	Checked bool
	Check   park.AttestationCheck
	Problem Text
	Reasons []Text
	Issued  time.Time
	Expires time.Time
}

// verifyPage checks a pasted attestation (POST), or shows the form (GET;
// the script fills it from /verify#<token> and submits).
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	v := verifyView{}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, invalid("token", Text{"内容过长", "is too long"}))
			return
		}
		v.Token = strings.TrimSpace(r.PostForm.Get("token"))
		c, err := s.reg.VerifyAttestation(r.Context(), v.Token)
		if err != nil {
			p := problemOf(s.log, err)
			s.render(w, r, p.Status, "verify.html", view{Title: Text{"核验资格证明", "Verify an attestation"}, Problem: p, Data: v})
			return
		}
		v.Checked, v.Check = true, c
		v.Problem = attestationProblems[c.Problem]
		if c.Claims != nil {
			for _, code := range c.Claims.ReasonCodes {
				t, ok := reasonWords[code]
				if !ok {
					t = Text{code, code}
				}
				v.Reasons = append(v.Reasons, t)
			}
			v.Issued, v.Expires = time.Unix(c.Claims.IssuedAt, 0), time.Unix(c.Claims.ExpiresAt, 0)
		}
	}
	s.render(w, r, http.StatusOK, "verify.html", view{Title: Text{"核验资格证明", "Verify an attestation"}, Data: v})
}
