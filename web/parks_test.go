package web_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// TestParksDesignate is economy-IT designating a park in the browser: a
// bad code is refused with the field named, a good form adds the park to
// the list with its designation, whose public page says it is valid.
func TestParksDesignate(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", economy))
		run(t, ctx, "opening parks from the menu", chromedp.Navigate(s.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#menu")))
		loadAfter(t, ctx, "clicking 园区", chromedp.Click(chromedp.CSS(`#menu a[href="/console/parks"]`)))
		existing := `#parks tr[data-code="` + w.Park.Code + `"]`
		mustContain(t, "the world's park", text(t, ctx, existing), w.Park.Name, "西湖区", "西湖区人民政府", "有效")
		if got := attr(t, ctx, existing+" .public-link", "href"); got != "/d/"+w.Park.DesignationID {
			t.Errorf("public link %q, want /d/%s", got, w.Park.DesignationID)
		}

		submit(t, ctx, "designating with a bad code", map[string]string{
			"#park-code": "Bin Jiang", "#park-name": "滨江人工智能产业园", "#park-district": "滨江区", "#park-operator": "滨江区人民政府",
		}, "#park-submit")
		mustContain(t, "refused code", text(t, ctx, "#problem"), "请求有误", "园区代码")
		if n := count(t, ctx, `#problem li[data-field="code"]`); n != 1 {
			t.Errorf("the problem names the code %d times", n)
		}
		if got := fieldValue(t, ctx, "#park-name"); got != "滨江人工智能产业园" {
			t.Errorf("the refused form lost its name: %q", got)
		}
		parks, err := s.Reg.ListParks(as("issuer", economy))
		if err != nil || len(parks) != 1 {
			t.Fatalf("after the refusal the registry has %v (%v)", parks, err)
		}

		submit(t, ctx, "designating", map[string]string{"#park-code": "binjiang", "#park-doc": "杭经信〔2026〕40号"}, "#park-submit")
		mustContain(t, "designated", text(t, ctx, "#flash"), "园区已认定")
		pk, err := s.Reg.GetPark(as("issuer", economy), "binjiang")
		if err != nil {
			t.Fatal(err)
		}
		row := `#parks tr[data-code="binjiang"]`
		mustContain(t, "the new park's row", text(t, ctx, row), "滨江人工智能产业园", "binjiang", "滨江区", "滨江区人民政府", "有效")
		if got := attr(t, ctx, row, "data-designation"); got != pk.DesignationID || got == "" {
			t.Errorf("row's designation %q, the registry's %q", got, pk.DesignationID)
		}
		d, err := s.Reg.GetDesignation(as("issuer", economy), pk.DesignationID)
		if err != nil || d.Type != "ai-park" || d.ParkCode != "binjiang" || d.DocumentNumber != "杭经信〔2026〕40号" || d.GrantedByBureau != "economy-it" {
			t.Fatalf("the park's designation: %+v (%v)", d, err)
		}
		link := attr(t, ctx, row+" .public-link", "href")
		if status, _, body := get(t, s.URL+link); status != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", link, status, body)
		}
		loadAfter(t, ctx, "opening the public page", chromedp.Click(chromedp.CSS(row+" .public-link")))
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Errorf("public page status %q", got)
		}
		run(t, ctx, "back to parks", chromedp.Navigate(s.URL+"/console/parks"), chromedp.WaitVisible(chromedp.CSS("#parks")))
		loadAfter(t, ctx, "opening the console page", chromedp.Click(chromedp.CSS(row+" .console-link")))
		if got := text(t, ctx, "#designation-id"); got != pk.DesignationID {
			t.Errorf("console page of %q, want %q", got, pk.DesignationID)
		}
	})
}

// TestParksRefusesOthers checks the talent office reads the parks without
// the form, and a post of the form anyway is refused with nothing made.
func TestParksRefusesOthers(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		mustNotContain(t, "talent office's menu", text(t, ctx, "#menu"), "园区")
		run(t, ctx, "opening parks", chromedp.Navigate(s.URL+"/console/parks"), chromedp.WaitVisible(chromedp.CSS("#parks")))
		mustContain(t, "talent office reads parks", text(t, ctx, "#parks"), w.Park.Name)
		if n := count(t, ctx, "#register-park"); n != 0 {
			t.Error("the talent office is offered the park form")
		}
		loadAfter(t, ctx, "posting a park anyway", chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("form"); f.method = "post"; f.action = "/console/parks";
			for (const [k, v] of [["code", "rogue"], ["name", "越权园区"], ["district", "滨江区"]]) {
				const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i);
			}
			document.body.appendChild(f); f.submit(); })()`))
		mustContain(t, "refused", text(t, ctx, "#problem"), "无权执行此操作")
		if _, err := s.Reg.GetPark(as("issuer", economy), "rogue"); registry.KindOf(err) != registry.KindNotFound {
			t.Errorf("after the refused post: %v", err)
		}
		if parks, err := s.Reg.ListParks(as("issuer", economy)); err != nil || len(parks) != 1 {
			t.Errorf("parks after the refused post: %v (%v)", parks, err)
		}
	})
}
