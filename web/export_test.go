package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
)

// readExport downloads a deck's Anki CSV and parses it as Anki would.
func readExport(t *testing.T, c *client, deck string) *anki.File {
	t.Helper()
	resp, body := c.get("/decks/" + deck + "/anki.csv")
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %d", deck, resp.StatusCode)
	}
	f, err := anki.Read(body)
	if err != nil {
		t.Fatalf("the export of %s does not parse as Anki reads it: %v", deck, err)
	}
	return f
}

// TestAnkiExportBuiltin downloads the built-in deck and checks every row
// as Anki would read it.
func TestAnkiExportBuiltin(t *testing.T) {
	_, _, c := startServer(t)
	resp, body := c.get("/decks/aws-dva-c02-containers/anki.csv")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="AWS DVA-C02 1.6 Containers - ECS, ECR, Fargate.csv"; filename*=UTF-8''AWS`) {
		t.Errorf("Content-Disposition %q, want an attachment with a readable name", cd)
	}
	if !strings.HasPrefix(body, "#separator:tab\n#html:true\n#if matches:update current\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n") {
		t.Errorf("header block:\n%.200s", body)
	}
	f, err := anki.Read(body)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	notes := map[string]bool{}
	clozeNums := map[string][]int{}
	for _, c := range builtinDeck(t, "aws-dva-c02-containers").Cards {
		if c.Type != decks.TypeCloze {
			want++
		} else if !notes[c.NoteKey] {
			notes[c.NoteKey] = true
			want++
		}
		if c.Type == decks.TypeCloze {
			clozeNums[c.NoteKey] = append(clozeNums[c.NoteKey], c.Cloze)
		}
	}
	if len(f.Rows) != want {
		t.Errorf("%d rows, want %d (one per note)", len(f.Rows), want)
	}
	guids := map[string]bool{}
	kinds := map[string]int{}
	clozeNotes := 0
	for i, row := range f.Rows {
		if len(row) != 6 {
			t.Fatalf("row %d has %d fields", i, len(row))
		}
		guid, typ, deck, f1, f2, tags := row[0], row[1], row[2], row[3], row[4], row[5]
		if guid == "" || guids[guid] {
			t.Errorf("row %d: guid %q empty or repeated", i, guid)
		}
		guids[guid] = true
		if deck != "flashd::AWS DVA-C02 1.6: Containers — ECS, ECR, Fargate" {
			t.Errorf("row %d: deck %q", i, deck)
		}
		if strings.ContainsAny(f1+f2, "\n\r") {
			t.Errorf("row %d: raw newline in a field", i)
		}
		switch typ {
		case "Basic":
			if f1 == "" || f2 == "" {
				t.Errorf("row %d: empty Basic field", i)
			}
		case "Cloze":
			clozeNotes++
			if !strings.Contains(f1, "{{c1::") || f2 != "" {
				t.Errorf("row %d: cloze text %q", i, f1)
			}
		default:
			t.Errorf("row %d: note type %q", i, typ)
		}
		for _, tag := range strings.Fields(tags) {
			switch tag {
			case "takeaway", "trap", "scenario":
				kinds[tag]++
			}
		}
		if !strings.Contains(tags, "aws") || !strings.Contains(tags, "section::") {
			t.Errorf("row %d: tags %q lack the deck tag or the section", i, tags)
		}
	}
	if kinds["takeaway"] == 0 || kinds["trap"] == 0 || kinds["scenario"] == 0 || clozeNotes != len(clozeNums) {
		t.Errorf("kinds %v, %d cloze notes (want %d)", kinds, clozeNotes, len(clozeNums))
	}
	// Cloze numbering is kept: one row holds every number of each note.
	for key, nums := range clozeNums {
		found := false
		for _, row := range f.Rows {
			all := row[1] == "Cloze"
			for _, n := range nums {
				all = all && strings.Contains(row[3], fmt.Sprintf("{{c%d::", n))
			}
			found = found || all
		}
		if !found {
			t.Errorf("cloze note %s: no row holds all of c%v", key, nums)
		}
	}
}

// TestAnkiExportStable checks that GUIDs stay the same across two exports
// and across an edit of a card's text, that a retired card is not
// exported, and that only those who may see a deck can download it.
func TestAnkiExportStable(t *testing.T) {
	w := newGroupWorld(t)
	guidsOf := func(f *anki.File) map[string]string { // front -> guid
		m := map[string]string{}
		for _, row := range f.Rows {
			m[row[3]] = row[0]
		}
		return m
	}
	first := guidsOf(readExport(t, w.member, "team-deck"))
	again := guidsOf(readExport(t, w.member, "team-deck"))
	if len(first) != 2 || !sameMap(first, again) {
		t.Fatalf("two exports differ: %v / %v", first, again)
	}
	// Fix a typo in one front, rewrite the other's back, add a card.
	edited := strings.Replace(groupDeckV1, "Which role pulls images?", "Which role pulls the images?", 1)
	edited = strings.Replace(edited, "The task role.", "The task role, used by your code.", 1) + "### Which role sends logs?\nThe task execution role.\n"
	w.owner.get(w.groupPath)
	if resp, body := w.owner.post(w.groupPath+"/decks", url.Values{"markdown": {edited}}); resp.StatusCode != 200 || !strings.Contains(body, "1 added, 2 updated") {
		t.Fatalf("re-upload: %d", resp.StatusCode)
	}
	after := guidsOf(readExport(t, w.member, "team-deck"))
	if after["Which role pulls the images?"] != first["Which role pulls images?"] || after["Which role calls S3?"] != first["Which role calls S3?"] {
		t.Errorf("edited cards changed GUID: before %v, after %v", first, after)
	}
	if len(after) != 3 {
		t.Errorf("after adding a card: %d rows", len(after))
	}
	// Remove a card: it is retired and not exported.
	removed := strings.Replace(edited, "### Which role calls S3?\nThe task role, used by your code.\n", "", 1)
	w.owner.post(w.groupPath+"/decks", url.Values{"markdown": {removed}})
	final := guidsOf(readExport(t, w.member, "team-deck"))
	if _, ok := final["Which role calls S3?"]; ok || len(final) != 2 {
		t.Errorf("retired card exported: %v", final)
	}
	if resp, _ := w.outsider.get("/decks/team-deck/anki.csv"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("outsider download: %d, want 404", resp.StatusCode)
	}
	if resp, _ := w.anon.get("/decks/team-deck/anki.csv"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor download: %d, want a redirect to log in", resp.StatusCode)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// TestDeckPageMediaWarnings: the deck page says what each image needs
// before the learner downloads the CSV.
func TestDeckPageMediaWarnings(t *testing.T) {
	_, _, c := startServer(t, "---\nid: pics\ntitle: Pics\n---\n### Which diagram?\n![arch](img/arch.png) and ![ok](ok.png)\n")
	_, body := c.get("/decks/pics")
	for _, want := range []string{"image img/arch.png is in a folder", "image ok.png: copy the file"} {
		if !strings.Contains(body, want) {
			t.Errorf("deck page lacks %q", want)
		}
	}
	if _, body := c.get("/decks/aws-dva-c02-containers"); strings.Contains(body, `class="warnings"`) {
		t.Error("a deck without images shows media warnings")
	}
}
