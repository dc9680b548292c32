package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/flashd/flashd/store"
)

// The charts are SVG drawn here, with no chart library in the browser.
// Colours come from classes in style.css, so they follow dark mode; every
// chart has a title and a description for screen readers, and each bar or
// square a <title> that browsers show as a tooltip.

// series is one stacked layer of a bar chart.
type series struct {
	Name   string
	Class  string
	Values []int
}

// barChart draws stacked bars, one per label, with a y axis scaled to the
// largest stack.
func barChart(id, title string, labels []string, layers []series, labelEvery int) template.HTML {
	const (
		width, height = 720, 220
		left, bottom  = 36, 24
		top           = 8
	)
	n := len(labels)
	maxv := 0
	totals := make([]int, n)
	for i := range labels {
		for _, s := range layers {
			totals[i] += s.Values[i]
		}
		maxv = max(maxv, totals[i])
	}
	scale := 1.0
	if maxv > 0 {
		scale = float64(height-top-bottom) / float64(maxv)
	}
	bw := float64(width-left) / float64(max(n, 1))
	var b strings.Builder
	var desc []string
	for _, s := range layers {
		sum := 0
		for _, v := range s.Values {
			sum += v
		}
		desc = append(desc, fmt.Sprintf("%s %d", s.Name, sum))
	}
	fmt.Fprintf(&b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`, id, width, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s; highest %d.</desc>`, id, html.EscapeString(title), id, html.EscapeString(strings.Join(desc, ", ")), maxv)
	// Axis and gridlines at 0, half and the maximum.
	for _, f := range []float64{0, 0.5, 1} {
		v := int(float64(maxv)*f + 0.5)
		y := float64(height-bottom) - float64(v)*scale
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`,
			left, width, y, y, left-4, y+4, v)
	}
	for i, label := range labels {
		x := float64(left) + float64(i)*bw
		y := float64(height - bottom)
		var parts []string
		for _, s := range layers {
			v := s.Values[i]
			if v == 0 {
				continue
			}
			h := float64(v) * scale
			y -= h
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, s.Class, x+0.5, y, max(bw-1, 1), h)
			parts = append(parts, fmt.Sprintf("%d %s", v, strings.ToLower(s.Name)))
		}
		tip := label + ": " + fmt.Sprint(totals[i])
		if len(parts) > 1 {
			tip += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(&b, `<rect class="hit" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s</title></rect>`, x, top, bw, height-top-bottom, html.EscapeString(tip))
		if labelEvery > 0 && (i%labelEvery == 0 || i == n-1) {
			anchor, lx := "middle", x+bw/2
			if i == n-1 && n > 1 {
				anchor, lx = "end", x+bw
			}
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`, lx, height-6, anchor, html.EscapeString(label))
		}
	}
	b.WriteString(`</svg>`)
	if len(layers) > 1 {
		b.WriteString(`<p class="legend">`)
		for _, s := range layers {
			fmt.Fprintf(&b, `<span class="key %s"></span> %s `, s.Class, html.EscapeString(s.Name))
		}
		b.WriteString(`</p>`)
	}
	return template.HTML(b.String())
}

// histogram draws a distribution as bars.
func histogram(id, title string, h store.Histogram) template.HTML {
	return barChart(id, title, h.Labels, []series{{Name: "Cards", Class: "bar", Values: h.Counts}}, 1)
}

// heatmap draws the study days as a calendar: a column a week, a row a
// weekday, the shade by the day's number of ratings, today outlined.
func heatmap(days []store.DayReviews) template.HTML {
	const cell, gap, left, top = 12, 2, 28, 16
	maxv := 0
	total := 0
	for _, d := range days {
		maxv = max(maxv, d.Total())
		total += d.Total()
	}
	first := days[0].Day
	offset := int(first.Weekday()+6) % 7 // rows run Monday to Sunday
	weeks := (offset + len(days) + 6) / 7
	width := left + weeks*(cell+gap)
	height := top + 7*(cell+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart heatmap" viewBox="0 0 %d %d" role="img" aria-labelledby="heat-t heat-d">`, width, height)
	fmt.Fprintf(&b, `<title id="heat-t">Reviews per day, last %d days</title><desc id="heat-d">%d reviews in all; the busiest day had %d.</desc>`, len(days), total, maxv)
	for i, wd := range []string{"Mon", "", "Wed", "", "Fri", "", "Sun"} {
		if wd != "" {
			fmt.Fprintf(&b, `<text class="axis" x="0" y="%d">%s</text>`, top+i*(cell+gap)+cell-2, wd)
		}
	}
	lastMonth := time.Month(0)
	for i, d := range days {
		pos := offset + i
		col, row := pos/7, pos%7
		x, y := left+col*(cell+gap), top+row*(cell+gap)
		if row == 0 && d.Day.Month() != lastMonth && i+7 < len(days) {
			fmt.Fprintf(&b, `<text class="axis" x="%d" y="10">%s</text>`, x, d.Day.Format("Jan"))
			lastMonth = d.Day.Month()
		}
		level := 0
		if n := d.Total(); n > 0 {
			level = 1 + min(3, 4*n/max(maxv, 1))
		}
		class := fmt.Sprintf("heat%d", level)
		if i == len(days)-1 {
			class += " today"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d" rx="2"><title>%s: %d reviews</title></rect>`,
			class, x, y, cell, cell, d.Day.Format("Mon 2 Jan 2006"), d.Total())
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
