package show

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"html/template"
	"image"
	"image/jpeg"
	_ "image/png" // rejects' thumbnails
	"io"
	"slices"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// maxThumbPixels bounds the images a thumbnail is made of: a reject may be
// a decompression bomb.
const maxThumbPixels = 40_000_000

// thumbnail is a 96-pixel-high JPEG of an image as a data URI, or "" when
// it does not decode.
func thumbnail(data []byte) string {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxThumbPixels {
		return ""
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return ""
	}
	h := 96
	w := max(1, cfg.Width*h/cfg.Height)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return ""
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// palette colours the masks drawn over a canvas, by label.
var palette = []string{"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990"}

var funcs = template.FuncMap{
	"pct": func(a, b int) string {
		if b == 0 {
			return "0.0"
		}
		return fmt.Sprintf("%.1f", 100*float64(a)/float64(b))
	},
	"url": func(s string) template.URL { return template.URL(s) }, // data: URIs the page made itself
	// mask colours a label the same wherever it is drawn.
	"mask": func(label string) string {
		h := fnv.New32a()
		h.Write([]byte(label))
		return palette[h.Sum32()%uint32(len(palette))]
	},
	"bars": bars,
	// sub is a sub-score, or "–" for a criterion the evidence could not judge.
	"sub": func(v int32, crit string, unverified []string) string {
		if slices.Contains(unverified, crit) {
			return "–"
		}
		return fmt.Sprint(v)
	},
}

// bars draws a histogram as an inline SVG.
func bars(h *Histogram) template.HTML {
	top := 1
	for _, c := range h.Counts {
		top = max(top, c)
	}
	var b bytes.Buffer
	const w, ht = 24, 80
	fmt.Fprintf(&b, `<svg class="hist" width="%d" height="%d" role="img" aria-label="%s">`, w*len(h.Counts), ht+16, template.HTMLEscapeString(h.Name))
	for i, c := range h.Counts {
		bh := c * ht / top
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d"><title>%s: %d</title></rect>`, i*w+2, ht-bh, w-4, bh, template.HTMLEscapeString(h.Labels[i]), c)
		if i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, i*w+2, ht+12, template.HTMLEscapeString(h.Labels[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped labels
}

var page = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Dataset}} — twigdata</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
.warning { background: #fff3cd; border: 1px solid #e0c36a; padding: .6em 1em; }
.figures span { display: inline-block; margin-right: 2em; }
.hists { display: flex; flex-wrap: wrap; gap: 1.5em; }
.hists figure { margin: 0; } figcaption { font-size: 12px; color: #555; }
svg.hist rect { fill: #4363d8; } svg.hist text { font-size: 9px; fill: #555; }
#filters { position: sticky; top: 0; background: #fff; padding: .5em 0; border-bottom: 1px solid #ddd; }
.gallery { display: flex; flex-wrap: wrap; gap: 1.2em; }
.card { width: 420px; border: 1px solid #ccc; border-radius: 6px; padding: .6em; }
.canvas { position: relative; }
.canvas img, .canvas svg { display: block; width: 100%; height: auto; }
.canvas svg { position: absolute; left: 0; top: 0; }
.region { border-top: 1px solid #eee; padding-top: .3em; margin-top: .3em; }
.region.flawed .score { color: #b00; font-weight: bold; }
.subs { font-size: 12px; color: #555; }
.revised { color: #7a4a00; }
.rejects td { vertical-align: top; padding: .2em .6em; } .rejects img { height: 48px; }
.hidden { display: none; } .nomasks .mask { display: none; }
</style>
</head>
<body>
<h1>{{.Dataset}}</h1>
{{range .Warnings}}<p class="warning">This dataset was {{.}}.</p>{{end}}
<p class="figures" id="figures"><span><b id="n-samples">{{.Samples}}</b> samples</span><span><b id="n-regions">{{.Regions}}</b> regions</span><span><b id="n-reflected">{{.Reflected}}</b> reflected ({{pct .Reflected .Regions}}%, θ = {{.Theta}})</span><span><b id="n-rejects">{{.Rejects}}</b> rejects</span><span>twigdata {{.ToolVersion}}</span></p>
<h2>Figures over every row</h2>
<div class="hists">{{range .Histograms}}<figure>{{bars .}}<figcaption>{{.Name}}{{if .Skipped}} ({{.Skipped}} not judged){{end}}</figcaption></figure>{{end}}</div>
<h2>Gallery: <span id="n-shown">{{len .Gallery}}</span> of {{len .Gallery}} samples shown (a seeded sample of {{.Samples}})</h2>
<div id="filters">
<label><input type="checkbox" id="f-reflected"> reflected only</label>
<label>lowest region score below <input type="number" id="f-score" min="0" max="101" value="101" style="width:4em"></label>
<label>prompt has <input type="search" id="f-words" placeholder="words"></label>
<label><input type="checkbox" id="f-masks" checked> masks</label>
</div>
<div class="gallery" id="gallery">
{{range .Gallery}}{{$w := .W}}{{$h := .H}}
<div class="card" data-prompt="{{.Prompt}}" data-reflected="{{range .Regions}}{{if .Reflected}}1{{end}}{{end}}" data-min="{{range $i, $r := .Regions}}{{if eq $i 0}}{{$r.Critic.Score}}{{end}}{{end}}" data-scores="{{range .Regions}}{{.Critic.Score}} {{end}}">
<div class="canvas"><img src="{{url .Image}}" width="{{.W}}" height="{{.H}}" alt="{{.Key}}">
<svg viewBox="0 0 {{.W}} {{.H}}" preserveAspectRatio="none">{{range $i, $r := .Regions}}<line x1="0" x2="{{$w}}" y1="{{index $r.Band 0}}" y2="{{index $r.Band 0}}" stroke="#fff" stroke-dasharray="6 4" stroke-width="2"/>{{range $j, $o := $r.Objects}}<g class="mask" fill="{{mask $o.Label}}" fill-opacity="0.3" shape-rendering="crispEdges"><title>{{$o.Label}} ({{$o.Color}})</title>{{range $o.Cells}}<rect x="{{index . 0}}" y="{{index . 1}}" width="{{index . 2}}" height="{{index . 3}}"/>{{end}}</g>{{end}}{{end}}</svg></div>
<p><b>{{.Key}}</b>: {{.Prompt}}<br><span class="subs">blur {{printf "%.2f" .Blur}}, alignment {{printf "%.2f" .Alignment}}</span></p>
{{range .Regions}}<div class="region{{if .Reflected}} flawed{{end}}"><b>{{.Name}}</b> <span class="score">r = {{.Critic.Score}}</span>
<span class="subs">{{$u := .Critic.Unverified}}colour {{sub .Critic.Color "color" $u}} · completeness {{sub .Critic.Completeness "completeness" $u}} · detail {{sub .Critic.Detail "detail" $u}} · spatial {{sub .Critic.Spatial "spatial" $u}} · coherence {{sub .Critic.Coherence "coherence" $u}}</span>
<div>{{.Plan}}</div>{{if .Reflected}}<div class="revised">revised: {{.Revised}}</div>{{end}}
{{with .Objects}}<div class="subs">objects: {{range $j, $o := .}}<span style="color:{{mask $o.Label}}">■</span> {{$o.Label}} {{end}}</div>{{end}}</div>{{end}}
</div>
{{end}}
</div>
<h2>Rejects by reason</h2>
<table class="rejects" id="rejects"><tr><th>stage</th><th>reason</th><th>inputs</th><th>for example</th></tr>
{{range .RejectGroups}}<tr><td>{{.Stage}}</td><td><code>{{.Reason}}</code></td><td>{{.Count}}</td><td>{{range .Examples}}<div>{{if .Thumb}}<img src="{{url .Thumb}}" alt="{{.Key}}"> {{end}}<b>{{.Key}}</b>: {{.Detail}}</div>{{end}}</td></tr>
{{end}}</table>
<script>
(function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  cards.forEach(function (c) {
    var s = c.dataset.scores.trim().split(/\s+/).map(Number);
    c.dataset.min = String(Math.min.apply(null, s));
  });
  function apply() {
    var refl = document.getElementById("f-reflected").checked;
    var below = Number(document.getElementById("f-score").value);
    var words = document.getElementById("f-words").value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (c) {
      var p = c.dataset.prompt.toLowerCase();
      var ok = (!refl || c.dataset.reflected !== "") && Number(c.dataset.min) < below &&
        words.every(function (w) { return p.indexOf(w) >= 0; });
      c.classList.toggle("hidden", !ok);
      if (ok) shown++;
    });
    document.getElementById("n-shown").textContent = String(shown);
  }
  // The address can set the filters: report.html#reflected&below=90&words=red+ball
  location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
    var p = kv.split("="), v = decodeURIComponent((p[1] || "").replace(/\+/g, " "));
    if (p[0] === "reflected") document.getElementById("f-reflected").checked = true;
    if (p[0] === "below") document.getElementById("f-score").value = v;
    if (p[0] === "words") document.getElementById("f-words").value = v;
  });
  ["f-reflected", "f-score", "f-words"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", apply);
  });
  document.getElementById("f-masks").addEventListener("input", function (e) {
    document.getElementById("gallery").classList.toggle("nomasks", !e.target.checked);
  });
  apply();
})();
</script>
</body>
</html>
`))

// Write renders the page.
func Write(w io.Writer, d *Data) error { return page.Execute(w, d) }
