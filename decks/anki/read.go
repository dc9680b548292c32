package anki

import (
	"errors"
	"fmt"
	"strings"
)

// Read parses an Anki text-import file following the rules Anki applies
// (its manual, "Importing > Text files", and its importer), so that a
// written file can be checked as Anki will see it:
//
//   - The header block is the consecutive leading lines of the form
//     "#key:value" with a known key. It ends at the first other line.
//   - After it, a line starting with "#" where a row would start is a
//     comment and skipped; so is an empty line.
//   - Rows are RFC 4180 with a tab separator: a field starting with a quote
//     runs to the next lone quote, may hold tabs, line breaks and doubled
//     quotes, and must be followed by a tab or the end of the row.
//   - Rows may differ in length (Anki pads or cuts them to the first row).
//
// It is stricter than Anki where Write should never rely on leniency: an
// unquoted field may not hold a quote or a carriage return, and only the
// tab separator is supported.

// headerKeys are the file header keys Anki knows.
var headerKeys = map[string]bool{
	"separator": true, "html": true, "tags": true, "columns": true,
	"notetype": true, "deck": true, "notetype column": true,
	"deck column": true, "tags column": true, "guid column": true,
	"if matches": true, "match scope": true,
}

// FileHeader is one "#key:value" header line.
type FileHeader struct{ Key, Value string }

// File is a parsed text-import file.
type File struct {
	Headers []FileHeader
	Rows    [][]string
}

// Header returns the value of the header key and whether it is present.
func (f *File) Header(key string) (string, bool) {
	for _, h := range f.Headers {
		if h.Key == key {
			return h.Value, true
		}
	}
	return "", false
}

// Read parses a text-import file the way Anki does.
func Read(data string) (*File, error) {
	f := &File{}
	rest := data
	for strings.HasPrefix(rest, "#") {
		line, after, _ := strings.Cut(rest, "\n")
		key, value, ok := strings.Cut(line[1:], ":")
		if !ok || !headerKeys[key] {
			break // a comment: the header block is over
		}
		f.Headers = append(f.Headers, FileHeader{key, value})
		rest = after
	}
	if sep, ok := f.Header("separator"); ok && sep != "tab" && sep != "\t" {
		return nil, fmt.Errorf("separator %q: only tab is supported", sep)
	}
	line := len(f.Headers) + 1
	for rest != "" {
		switch rest[0] {
		case '#', '\n':
			_, after, _ := strings.Cut(rest, "\n")
			rest = after
			line++
			continue
		}
		row, after, lines, err := readRow(rest)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		f.Rows = append(f.Rows, row)
		rest = after
		line += lines
	}
	return f, nil
}

// readRow reads one row from the start of s and returns its fields, the
// text after it and the number of lines it spanned.
func readRow(s string) (row []string, rest string, lines int, err error) {
	lines = 1
	for {
		var field string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, "", 0, errors.New("quoted field is not closed")
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			field = b.String()
			lines += strings.Count(field, "\n")
			s = s[i:]
			if s != "" && s[0] != '\t' && s[0] != '\n' {
				return nil, "", 0, fmt.Errorf("text after the closing quote of %q", field)
			}
		} else {
			end := strings.IndexAny(s, "\t\n")
			if end < 0 {
				end = len(s)
			}
			field = s[:end]
			if strings.ContainsAny(field, "\"\r") {
				return nil, "", 0, fmt.Errorf("unquoted field %q holds a quote or carriage return", field)
			}
			s = s[end:]
		}
		row = append(row, field)
		switch {
		case s == "":
			return row, "", lines, nil
		case s[0] == '\n':
			return row, s[1:], lines, nil
		}
		s = s[1:] // the tab
	}
}
