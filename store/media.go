package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/decks"
)

// mediaTypes are the media files a deck may hold, by extension, and the
// content type they are served with: images and sounds. Anything else
// (SVG, which can carry script, PDFs, fonts...) is not stored.
var mediaTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".avif": "image/avif", ".bmp": "image/bmp",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
	".wav": "audio/wav", ".m4a": "audio/mp4", ".flac": "audio/flac",
}

// MediaContentType returns the content type a media file of this name is
// served with, and false for a kind of file decks may not hold.
func MediaContentType(name string) (string, bool) {
	t, ok := mediaTypes[strings.ToLower(path.Ext(name))]
	return t, ok
}

// MaxMediaFile is the largest media file a deck may hold.
const MaxMediaFile = 16 << 20

// MediaURL is the address a media file is served at.
func MediaURL(sum, name string) string { return "/media/" + sum + "/" + url.PathEscape(name) }

// mediaSum is the hex SHA-256 of a media file.
func mediaSum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Media returns a media file a deck the user may see holds, by the
// content hash and name of its address, or ENotFound.
func (db *DB) Media(ctx context.Context, u *User, sum, name string) (contentType string, data []byte, err error) {
	var row struct {
		ContentType string `db:"content_type"`
		Data        []byte `db:"data"`
	}
	vis := deckVisible("m.deck_id", u.ID)
	err = db.ro.GetContext(ctx, &row, `SELECT m.content_type, m.data FROM deck_media m WHERE m.sha256 = ? AND m.name = ? AND `+vis.sql+` LIMIT 1`,
		args([]any{sum, name}, vis.args)...)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, Errorf(ENotFound, "Media file %q not found.", name)
	}
	if err != nil {
		return "", nil, fmt.Errorf("get media %q: %w", name, err)
	}
	return row.ContentType, row.Data, nil
}

// DeckMedia returns the media files a deck holds, by name.
func (db *DB) DeckMedia(ctx context.Context, deckID int64) (map[string][]byte, error) {
	var rows []struct {
		Name string `db:"name"`
		Data []byte `db:"data"`
	}
	if err := db.ro.SelectContext(ctx, &rows, `SELECT name, data FROM deck_media WHERE deck_id = ? ORDER BY name`, deckID); err != nil {
		return nil, fmt.Errorf("list media of deck %d: %w", deckID, err)
	}
	out := make(map[string][]byte, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Data
	}
	return out, nil
}

// checkMedia refuses media a deck may not hold.
func checkMedia(media map[string][]byte) error {
	for name, data := range media {
		if _, ok := MediaContentType(name); !ok {
			return Errorf(EInvalid, "Media file %q: only images and sounds are kept.", name)
		}
		if len(data) > MaxMediaFile {
			return Errorf(EInvalid, "Media file %q is larger than %d MiB.", name, MaxMediaFile>>20)
		}
		if name == "" || strings.ContainsAny(name, "/\\\x00") {
			return Errorf(EInvalid, "Media file name %q is not a plain file name.", name)
		}
	}
	return nil
}

// storeMedia adds or replaces a deck's media files and rewrites the
// image and link addresses of d's cards that name any file the deck
// holds (added now or before) to the address it is served at.
func storeMedia(ctx context.Context, tx *sqlx.Tx, deckID int64, d *decks.Deck, media map[string][]byte, now int64) error {
	for name, data := range media {
		ct, _ := MediaContentType(name)
		if _, err := tx.ExecContext(ctx, `INSERT INTO deck_media (deck_id, name, sha256, content_type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (deck_id, name) DO UPDATE SET sha256 = excluded.sha256, content_type = excluded.content_type, data = excluded.data`,
			deckID, name, mediaSum(data), ct, data, now); err != nil {
			return fmt.Errorf("store media %q: %w", name, err)
		}
	}
	var held []struct {
		Name string `db:"name"`
		Sum  string `db:"sha256"`
	}
	if err := tx.SelectContext(ctx, &held, `SELECT name, sha256 FROM deck_media WHERE deck_id = ?`, deckID); err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	urls := make(map[string]string, len(held))
	for _, h := range held {
		urls[h.Name] = MediaURL(h.Sum, h.Name)
	}
	cards := make([]decks.Card, len(d.Cards))
	for i, c := range d.Cards {
		c.FrontHTML, c.BackHTML, c.ClozeHTML = rewriteMedia(c.FrontHTML, urls), rewriteMedia(c.BackHTML, urls), rewriteMedia(c.ClozeHTML, urls)
		opts := make([]decks.Option, len(c.Options))
		for j, o := range c.Options {
			o.HTML = rewriteMedia(o.HTML, urls)
			opts[j] = o
		}
		c.Options = opts
		cards[i] = c
	}
	d.Cards = cards
	return nil
}

// mediaAttr finds the src and href attributes of sanitised HTML, which
// always writes them name="value".
var mediaAttr = regexp.MustCompile(`\b(src|href)="([^"]*)"`)

// rewriteMedia points every src or href that names one of the files in
// urls (as written, or percent-encoded) at the address in urls.
func rewriteMedia(s string, urls map[string]string) string {
	if !strings.Contains(s, `src="`) && !strings.Contains(s, `href="`) {
		return s
	}
	return mediaAttr.ReplaceAllStringFunc(s, func(m string) string {
		sub := mediaAttr.FindStringSubmatch(m)
		v := html.UnescapeString(sub[2])
		name := v
		if u, err := url.PathUnescape(v); err == nil {
			name = u
		}
		if to, ok := urls[name]; ok {
			return sub[1] + `="` + html.EscapeString(to) + `"`
		}
		if to, ok := urls[v]; ok {
			return sub[1] + `="` + html.EscapeString(to) + `"`
		}
		return m
	})
}

// servedMedia finds the addresses rewriteMedia writes.
var servedMedia = regexp.MustCompile(`\b(src|href)="/media/[0-9a-f]{64}/([^"]*)"`)

// unrewriteMedia turns served media addresses back into the plain file
// names Anki's flat media folder uses.
func unrewriteMedia(s string) string {
	if !strings.Contains(s, `="/media/`) {
		return s
	}
	return servedMedia.ReplaceAllStringFunc(s, func(m string) string {
		sub := servedMedia.FindStringSubmatch(m)
		name, err := url.PathUnescape(html.UnescapeString(sub[2]))
		if err != nil {
			return m
		}
		return sub[1] + `="` + html.EscapeString(name) + `"`
	})
}

// pruneMedia drops the media files of a deck that none of its cards
// (retired ones included, whose pages may still be opened) shows any
// more, such as an image taken out of the deck's Markdown.
func pruneMedia(ctx context.Context, tx *sqlx.Tx, deckID int64) error {
	var held []string
	if err := tx.SelectContext(ctx, &held, `SELECT name FROM deck_media WHERE deck_id = ?`, deckID); err != nil || len(held) == 0 {
		return err
	}
	var cards []Card
	if err := tx.SelectContext(ctx, &cards, `SELECT `+cardColumns+` FROM cards WHERE deck_id = ?`, deckID); err != nil {
		return err
	}
	used := map[string]bool{}
	for i := range cards {
		c := &cards[i]
		parts := []string{c.FrontHTML, c.BackHTML, c.ClozeHTML}
		for _, o := range c.Options() {
			parts = append(parts, o.HTML)
		}
		for _, h := range parts {
			for name := range mediaNames(unrewriteMedia(h)) {
				used[name] = true
			}
		}
	}
	for _, name := range held {
		if !used[name] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM deck_media WHERE deck_id = ? AND name = ?`, deckID, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// mediaNames returns the file names the src and href attributes of html
// name (percent-decoded).
func mediaNames(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range mediaAttr.FindAllStringSubmatch(s, -1) {
		v := html.UnescapeString(m[2])
		out[v] = true // a name may hold "%" itself
		if u, err := url.PathUnescape(v); err == nil {
			out[u] = true
		}
	}
	return out
}
