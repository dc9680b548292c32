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
// largest stack. The drawing has no viewBox: it is as wide as the page
// allows, bars are placed in percent, and text keeps its pixel size at any
// width (a phone shows the same 12px labels as a desktop). The y axis is a
// narrow drawing of its own beside the plot, so its labels never squeeze.
func barChart(id, title, yTitle, xTitle string, labels []string, layers []series, labelEvery int) template.HTML {
	const (
		height, bottom, top = 220, 22, 10
		axisWidth           = 48
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
	bw := 100 / float64(max(n, 1)) // a bar's width, in percent of the plot
	var desc []string
	for _, s := range layers {
		sum := 0
		for _, v := range s.Values {
			sum += v
		}
		desc = append(desc, fmt.Sprintf("%s %d", s.Name, sum))
	}
	var b strings.Builder
	b.WriteString(`<figure class="chart-box"><div class="chart-row">`)
	// The y axis: its title turned on its side, and the values at 0, half
	// and the maximum, which the plot's gridlines continue.
	fmt.Fprintf(&b, `<svg class="chart-y" width="%d" height="%d" aria-hidden="true">`, axisWidth, height)
	fmt.Fprintf(&b, `<text class="axis-title" transform="translate(12 %d) rotate(-90)" text-anchor="middle">%s</text>`, (height-bottom+top)/2, html.EscapeString(yTitle))
	type tick struct {
		value int
		y     float64
	}
	var ticks []tick
	for _, f := range []float64{0, 0.5, 1} {
		v := int(float64(maxv)*f + 0.5)
		ticks = append(ticks, tick{v, float64(height-bottom) - float64(v)*scale})
	}
	for _, tk := range ticks {
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, axisWidth-4, tk.y+4, tk.value)
	}
	b.WriteString(`</svg>`)
	fmt.Fprintf(&b, `<svg class="chart" id="%s" height="%d" role="img" aria-labelledby="%s-t %s-d">`, id, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s; highest %d.</desc>`, id, html.EscapeString(title), id, html.EscapeString(strings.Join(desc, ", ")), maxv)
	for _, tk := range ticks {
		fmt.Fprintf(&b, `<line class="grid" x1="0" x2="100%%" y1="%.1f" y2="%.1f"/>`, tk.y, tk.y)
	}
	for i, label := range labels {
		x := float64(i) * bw
		y := float64(height - bottom)
		var parts []string
		for _, s := range layers {
			v := s.Values[i]
			if v == 0 {
				continue
			}
			h := float64(v) * scale
			y -= h
			fmt.Fprintf(&b, `<rect class="%s" x="%.3f%%" y="%.1f" width="%.3f%%" height="%.1f"/>`, s.Class, x+bw*0.05, y, bw*0.9, h)
			parts = append(parts, fmt.Sprintf("%d %s", v, strings.ToLower(s.Name)))
		}
		tip := label + ": " + fmt.Sprint(totals[i])
		if len(parts) > 1 {
			tip += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(&b, `<rect class="hit" x="%.3f%%" y="%d" width="%.3f%%" height="%d"><title>%s</title></rect>`, x, top, bw, height-top-bottom, html.EscapeString(tip))
	}
	// The x labels: every labelEvery-th and the last. On a phone every
	// other one of them is hidden (class alt), counting back from the last,
	// so the labels keep their size without running into each other.
	var shown []int
	for i := 0; labelEvery > 0 && i < n; i++ {
		if i%labelEvery == 0 || i == n-1 {
			shown = append(shown, i)
		}
	}
	for k, i := range shown {
		anchor, lx := "middle", (float64(i)+0.5)*bw
		switch {
		case i == n-1 && n > 1:
			anchor, lx = "end", 100
		case i == 0 && n > 1:
			anchor, lx = "start", 0
		}
		class := "axis"
		if (len(shown)-1-k)%2 == 1 {
			class += " alt"
		}
		fmt.Fprintf(&b, `<text class="%s" x="%.3f%%" y="%d" text-anchor="%s">%s</text>`, class, lx, height-6, anchor, html.EscapeString(labels[i]))
	}
	b.WriteString(`</svg></div>`)
	fmt.Fprintf(&b, `<figcaption class="axis-title">%s</figcaption></figure>`, html.EscapeString(xTitle))
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
func histogram(id, title, xTitle string, h store.Histogram) template.HTML {
	return barChart(id, title, "Cards", xTitle, h.Labels, []series{{Name: "Cards", Class: "bar", Values: h.Counts}}, 1)
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
	fmt.Fprintf(&b, `<svg class="chart heatmap" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="heat-t heat-d">`, width, height, width, height)
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
