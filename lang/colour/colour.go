// Package colour is the colour science twigdata names and judges colours
// with: CIELAB and ΔE, the palette of colour words with their sRGB
// references, and the ISCC–NBS-style shade names a measured colour is
// given ("pale blue", "bluish gray"). It imports nothing of twigdata.
package colour

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// color is a colour word with the sRGB value it is judged against.
type color struct {
	Name    string
	R, G, B float64
	// Named colours form the palette a measured segment colour is named from;
	// the others are prompt words judged against their reference only.
	Named bool
}

// colors is the palette. A named colour's value is both its reference and
// its naming prototype.
var colors = []color{
	{"red", 215, 35, 40, true}, {"green", 40, 175, 65, true}, {"dark green", 70, 115, 50, true},
	{"blue", 35, 65, 190, true}, {"light blue", 135, 195, 235, true}, {"dark blue", 30, 60, 120, true}, {"dark purple", 70, 25, 90, true}, {"light purple", 182, 149, 192, true}, {"yellow", 245, 212, 35, true},
	{"purple", 128, 40, 150, true}, {"orange", 245, 125, 25, true}, {"white", 245, 245, 245, true},
	{"black", 25, 25, 25, true}, {"pink", 245, 135, 185, true}, {"brown", 122, 72, 32, true},
	{"gray", 128, 128, 128, true}, {"beige", 215, 195, 150, true},
	{"grey", 128, 128, 128, false}, {"golden", 212, 175, 55, false}, {"gold", 212, 175, 55, false},
	{"silver", 192, 192, 192, false}, {"tan", 210, 180, 140, false}, {"violet", 140, 80, 200, false},
	{"turquoise", 64, 224, 208, false}, {"navy", 20, 30, 110, false}, {"maroon", 128, 20, 30, false},
	{"teal", 0, 128, 128, false}, {"cyan", 0, 200, 220, false}, {"magenta", 220, 0, 160, false},
	{"cream", 250, 245, 215, false},
}

// colorWords are the one-word colour names a prompt uses as attributes.
var colorWords = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range colors {
		if !strings.Contains(c.Name, " ") {
			m[c.Name] = true
		}
	}
	return m
}()

// shadeWords modify a colour word into a shade: the tones of the named
// colours ("light blue", "dark green") and the words NameShade adds
// ("pale", "very dark", "grayish", "bluish" gray).
var shadeWords = set("light", "dark", "pale", "deep", "bright", "vivid", "grayish", "very",
	"pinkish", "reddish", "brownish", "yellowish", "greenish", "bluish", "purplish")

// Of is the colour that a noun phrase's attributes give, with its
// shade words — "light blue" for [soft light blue], "light grayish blue"
// for [light grayish blue] — or "" when they name none.
func Of(attributes []string) string {
	for i, a := range attributes {
		if !colorWords[a] {
			continue
		}
		j := i
		for j > 0 && shadeWords[attributes[j-1]] {
			j--
		}
		return strings.Join(attributes[j:i+1], " ")
	}
	return ""
}

// IsShade reports whether w is a shade word ("pale", "bluish").
func IsShade(w string) bool { return shadeWords[w] }

// IsWord reports whether w is a one-word colour name of the palette.
func IsWord(w string) bool { return colorWords[w] }

// Reference returns the sRGB reference of a colour word or name, or of a
// shade of one in NameShade's words ("pale blue", "deep green", "bluish
// gray"): the colour NameShade calls by that name, so that a prompt's
// "light brown dog" is judged against light brown, not brown. A shade word
// NameShade does not use ("light white") leaves the colour's own reference.
func Reference(name string) (r, g, b float64, ok bool) {
	if c, ok := colorEntry(name); ok {
		return c.R, c.G, c.B, true
	}
	words := strings.Fields(name)
	if len(words) < 2 || !colorWords[words[len(words)-1]] {
		return 0, 0, 0, false
	}
	if c, ok := shadeRefs()[name]; ok {
		r, g, b = c[0], c[1], c[2]
	} else {
		r, g, b = sRGB(shadeLab(strings.Join(words[:len(words)-1], " "), words[len(words)-1]))
	}
	return r, g, b, true
}

// colorEntry is the colour table's entry for a colour word or name.
func colorEntry(name string) (color, bool) {
	for _, c := range colors {
		if c.Name == name {
			return c, true
		}
	}
	return color{}, false
}

// shadeRefs are, for every shade name NameShade gives on an sRGB grid of 32
// steps a channel, the colour of the grid (sRGB) it gives that name that
// lies nearest the name's target (shadeLab): a colour NameShade calls by
// the name, as near what the words mean as the naming's borders allow.
// Built once, when a shade is first asked for.
var shadeRefs = sync.OnceValue(func() map[string][3]float64 {
	best := map[string][3]float64{}
	dist := map[string]float64{}
	target := map[string][3]float64{}
	for r := 4.0; r < 256; r += 8 {
		for g := 4.0; g < 256; g += 8 {
			for b := 4.0; b < 256; b += 8 {
				name := NameShade(r, g, b)
				i := strings.LastIndex(name, " ")
				if i < 0 {
					continue
				}
				t, ok := target[name]
				if !ok {
					t = shadeLab(name[:i], name[i+1:])
					target[name] = t
				}
				d := DeltaE(Lab(r, g, b), t)
				if old, ok := dist[name]; !ok || d < old {
					best[name], dist[name] = [3]float64{r, g, b}, d
				}
			}
		}
	}
	return best
})

// shadeSteps are NameShade's shade words as a change of lightness, in
// stepL, and a factor of chroma, against what the hue's plain name calls
// (shades): each the middle of the range NameShade gives the word.
var shadeSteps = map[string]struct{ dL, kC float64 }{
	"pale": {3, 0.8}, "light": {1.75, 1}, "light grayish": {1.75, 0.5}, "bright": {1.75, 1.5},
	"dark": {-1.75, 1}, "very dark": {-3, 0.9}, "dark grayish": {-1.75, 0.5}, "deep": {-1.75, 1.5},
	"grayish": {0, 0.5}, "vivid": {0, 1.5},
}

// grayTones are the middles of the ISCC–NBS neutrals' bands NameShade
// calls gray, by their tone word.
var grayTones = map[string]float64{"": 55, "light": 75, "dark": 35}

// tintAngles are the middles of tintWord's ranges of CIELAB hue angle.
var tintAngles = map[string]float64{"pinkish": 358, "reddish": 35, "brownish": 65, "yellowish": 95, "greenish": 155, "bluish": 248, "purplish": 316}

// shadeLab is the CIELAB colour NameShade calls mods + " " + hue: for a hue
// of shades, its plain name's lightness and chroma moved by the shade words
// (shadeSteps) at the hue angle NameShade's colours of that hue centre on
// (hueAngles); for gray, the middle of its ISCC–NBS band with a tint word's
// hue; a shade word NameShade does not use leaves the hue's own reference.
func shadeLab(mods, hue string) [3]float64 {
	c, _ := colorEntry(hue)
	plain := Lab(c.R, c.G, c.B)
	polar := func(L, C, angle float64) [3]float64 {
		h := angle * math.Pi / 180
		return [3]float64{L, C * math.Cos(h), C * math.Sin(h)}
	}
	if achromatic[hue] || hue == "grey" {
		// White takes a tint word ("pinkish white"), gray a tone and a
		// tint word ("light bluish gray"), black neither.
		tone, tint := mods, ""
		if f := strings.Fields(mods); len(f) > 0 {
			if _, ok := tintAngles[f[len(f)-1]]; ok {
				tone, tint = strings.Join(f[:len(f)-1], " "), f[len(f)-1]
			}
		}
		L, ok := 0.0, false
		switch hue {
		case "white":
			L, ok = 95, tone == ""
		case "gray", "grey":
			L, ok = grayTones[tone]
		}
		switch {
		case !ok:
			return plain
		case tint == "":
			return [3]float64{L, 0, 0}
		}
		return polar(L, tintC+3, tintAngles[tint])
	}
	if hue == "brown" && mods == "reddish" {
		return polar(shades["brown"].L+4, shades["brown"].C*1.3, 38)
	}
	sh, ok := shades[hue]
	st, known := shadeSteps[mods]
	if !ok || !known {
		return plain
	}
	return polar(sh.L+st.dL*stepL, sh.C*st.kC, hueAngles()[hue])
}

// hueAngles are, for each hue of shades, the CIELAB hue angle the colours
// NameShade gives that hue centre on (their circular mean over an sRGB grid
// of 16 steps a channel): not the palette's saturated prototype's, which
// for blue lies toward purple.
var hueAngles = sync.OnceValue(func() map[string]float64 {
	sums := map[string][2]float64{}
	for r := 8.0; r < 256; r += 16 {
		for g := 8.0; g < 256; g += 16 {
			for b := 8.0; b < 256; b += 16 {
				name := NameShade(r, g, b)
				hue := name[strings.LastIndex(name, " ")+1:]
				if _, ok := shades[hue]; !ok || name == "reddish brown" {
					continue
				}
				l := Lab(r, g, b)
				h := math.Atan2(l[2], l[1])
				s := sums[hue]
				sums[hue] = [2]float64{s[0] + math.Cos(h), s[1] + math.Sin(h)}
			}
		}
	}
	out := map[string]float64{}
	for hue, s := range sums {
		out[hue] = math.Mod(math.Atan2(s[1], s[0])*180/math.Pi+360, 360)
	}
	return out
})

// sRGB converts a CIELAB colour (D65) to sRGB, 0..255 a channel; a colour
// outside the sRGB gamut loses chroma, not hue or lightness, until it fits.
func sRGB(l [3]float64) (r, g, b float64) {
	finv := func(t float64) float64 {
		if t*t*t > 0.008856 {
			return t * t * t
		}
		return (t - 16.0/116) / 7.787
	}
	gamma := func(c float64) float64 {
		if c <= 0.0031308 {
			return 255 * 12.92 * c
		}
		return 255 * (1.055*math.Pow(c, 1/2.4) - 0.055)
	}
	l[0] = max(0, min(100, l[0]))
	for range 60 {
		fy := (l[0] + 16) / 116
		x, y, z := 0.95047*finv(fy+l[1]/500), finv(fy), 1.08883*finv(fy-l[2]/200)
		R := 3.2406*x - 1.5372*y - 0.4986*z
		G := -0.9689*x + 1.8758*y + 0.0415*z
		B := 0.0557*x - 0.2040*y + 1.0570*z
		const eps = 1e-4
		if min(R, G, B) >= -eps && max(R, G, B) <= 1+eps {
			return gamma(max(0, min(1, R))), gamma(max(0, min(1, G))), gamma(max(0, min(1, B)))
		}
		l[1], l[2] = l[1]*0.95, l[2]*0.95
	}
	y := gamma(finv((l[0] + 16) / 116)) // its gray: not reached for L* in 0..100
	return y, y, y
}

// Name names a measured sRGB colour by the named colour nearest to it
// in CIELAB, where distance follows what people see: by RGB distance a
// bluish gray was nearer "dark green" and a pale gray sky "beige". A colour
// of clear hue (chroma chromaC or more) is never named white, gray or black
// (by distance alone deep water would be "black"), and its distance weighs
// lightness half (hue first).
func Name(r, g, b float64) string {
	return colors[nearestNamed(Lab(r, g, b))].Name
}

// NameBut names a measured colour by the named colour nearest to it
// other than not: how a part that bears the wanted colour's name is off
// ("black, not purple" for a black cast purple).
func NameBut(r, g, b float64, not string) string {
	return colors[nearestNamed(Lab(r, g, b), not)].Name
}

// chromaC is the CIELAB chroma from which a colour has a hue a person
// names; a very dark colour has one from darkC times its lightness (the
// undergrowth of a forest photograph, L* 13 and chroma under 15, is a very
// dark green, not black).
const (
	chromaC = 15
	darkC   = 0.8
)

// nearestNamed is the index in colors of the named colour nearest to l,
// none of those named in not.
func nearestNamed(l [3]float64, not ...string) int {
	best, bestD := 0, math.Inf(1)
	hued := math.Hypot(l[1], l[2]) >= min(chromaC, darkC*l[0])
	// CIE76, and for a hued colour hue before lightness (CMC's l:c of 2:1,
	// squared): a stormy sky is a dark grayish blue, not the
	// lightness-nearer light purple.
	kL := 1.0
	if hued {
		kL = 0.25
	}
	for _, i := range namedIdx {
		if hued && achromaticAt[i] || len(not) > 0 && slices.Contains(not, colors[i].Name) {
			continue
		}
		q := namedLab[i]
		if d := math.Sqrt(kL*(l[0]-q[0])*(l[0]-q[0]) + (l[1]-q[1])*(l[1]-q[1]) + (l[2]-q[2])*(l[2]-q[2])); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// achromatic are the named colours of no hue.
var achromatic = set("white", "gray", "black")

// namedIdx are the indices in colors of the named colours, and
// achromaticAt says by index which are achromatic: nearestNamed runs for
// every map cell a colour is named for, and a map lookup by name per
// colour was a third of its time.
var namedIdx, achromaticAt = func() ([]int, []bool) {
	var idx []int
	at := make([]bool, len(colors))
	for i, c := range colors {
		if c.Named {
			idx = append(idx, i)
		}
		at[i] = achromatic[c.Name]
	}
	return idx, at
}()

// NameShade names a measured colour as a caption names a surface's: the hue
// Name gives it, with the words of the ISCC–NBS colour names for how
// light and how strong it is — "pale blue", "deep green", "grayish beige",
// "light bluish gray" —, so that one plain sky or wall is told from another
// as a person tells them. Lightness and chroma are read against the hue's
// own range (shades); a colour of no hue is one of the ISCC–NBS neutrals by
// its lightness alone, and a gray with a trace of hue takes that hue's tint
// word ("bluish gray"); white and black take none.
func NameShade(r, g, b float64) string {
	l := Lab(r, g, b)
	L, C := l[0], math.Hypot(l[1], l[2])
	name := Name(r, g, b)
	hue := name[strings.LastIndex(name, " ")+1:]
	if achromatic[hue] {
		// The ISCC–NBS neutrals by lightness alone: white, light gray,
		// gray, dark gray, black (a foggy sky of L* 83 is light gray, not
		// white; weathered boards of L* 28 dark gray, not black).
		tone := ""
		switch {
		case L >= grayWhite && C >= tintC+2:
			return tintWord(l) + " white" // a pinkish white evening sky
		case L >= grayWhite:
			return "white"
		case L < grayBlack:
			return "black"
		case L >= grayLight:
			tone = "light "
		case L < grayDark:
			tone = "dark "
		}
		if C >= tintC {
			return tone + tintWord(l) + " gray"
		}
		return tone + "gray"
	}
	sh, ok := shades[hue]
	if !ok {
		return name
	}
	if hue == "brown" && hueAngle(l) < 45 {
		return "reddish brown" // brick, rust: a brown no lighter or darker word tells from the rest
	}
	d := L - sh.L
	weak, strong := C < weakC*sh.C, C >= strongC*sh.C && sh.vivid
	switch {
	case d >= 2.5*stepL:
		return "pale " + hue
	case d >= stepL && weak:
		return "light grayish " + hue
	case d >= stepL && strong:
		return "bright " + hue
	case d >= stepL:
		return "light " + hue
	case d <= -2.5*stepL:
		return "very dark " + hue
	case d <= -stepL && weak:
		return "dark grayish " + hue
	case d <= -stepL && strong:
		return "deep " + hue
	case d <= -stepL:
		return "dark " + hue
	case weak:
		return "grayish " + hue
	case strong:
		return "vivid " + hue
	}
	return hue
}

// shade is the lightness (L*) and chroma of what a hue's plain name
// calls: a colour stepL or more lighter is a light shade, 2.5 steps a pale
// one; as much darker a dark or a very dark one; of under weakC of its
// chroma a grayish one, of strongC or more a vivid (bright, deep) one where
// English says so (vivid).
type shade struct {
	L, C  float64
	vivid bool
}

// shades are the plain names' lightness and chroma: the middle of the
// surfaces people call by the plain name, not the palette's saturated
// prototype (the sky people call blue is lighter than pure blue).
var shades = map[string]shade{
	"red":    {47, 60, true},
	"orange": {62, 60, true},
	"yellow": {80, 60, true},
	"green":  {50, 45, true},
	"blue":   {55, 40, true},
	"purple": {40, 45, true},
	"pink":   {66, 35, true},
	"brown":  {36, 28, false}, // "vivid brown" and "bright beige" are
	"beige":  {76, 22, false}, // no one's words
}

// The steps of NameShade.
const (
	stepL   = 7
	weakC   = 0.7
	strongC = 1.3
)

// A neutral lighter than grayWhite is white, than grayLight light gray;
// darker than grayDark dark gray, than grayBlack black (the ISCC–NBS
// neutrals' bounds, Munsell value 8.5, 6.5, 4.5 and 2.5); one of chroma
// tintC or more has a trace of hue.
const (
	grayWhite = 85
	grayLight = 65
	grayDark  = 45
	grayBlack = 25
	tintC     = 5
)

// Turns reports whether a surface first named from (by NameShade) reads as
// turning to a colour named to: to names another hue, or a shade word of
// its own ("green" to "dark green", "pale blue" to "light blue"). Losing
// its shade word ("vivid green" to "green") is no change a reader sees.
func Turns(from, to string) bool {
	fw, tw := strings.Fields(from), strings.Fields(to)
	if len(fw) == 0 || len(tw) == 0 || fw[len(fw)-1] != tw[len(tw)-1] {
		return from != to
	}
	return len(tw) > 1 && from != to
}

// hueAngle is a CIELAB colour's hue angle, 0..360 degrees.
func hueAngle(l [3]float64) float64 {
	return math.Mod(math.Atan2(l[2], l[1])*180/math.Pi+360, 360)
}

// tintWord names the trace of hue in a gray by its CIELAB hue angle.
func tintWord(l [3]float64) string {
	switch h := hueAngle(l); {
	case h < 20 || h >= 336:
		return "pinkish"
	case h < 50:
		return "reddish"
	case h < 80:
		return "brownish"
	case h < 110:
		return "yellowish"
	case h < 200:
		return "greenish"
	case h < 295:
		return "bluish"
	}
	return "purplish"
}

// namedLab holds each colour's CIELAB value, by its index in colors.
var namedLab = func() [][3]float64 {
	out := make([][3]float64, len(colors))
	for i, c := range colors {
		out[i] = Lab(c.R, c.G, c.B)
	}
	return out
}()

// linTable samples the sRGB transfer function over 0..255 finely enough to
// interpolate: Lab runs for every cell a colour is named for and every seam
// column the critic judges, and math.Pow dominated the critic's time.
var linTable = func() [linSteps + 2]float64 {
	var t [linSteps + 2]float64
	for i := range t {
		c := float64(i) / linSteps
		if c <= 0.04045 {
			t[i] = c / 12.92
		} else {
			t[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return t
}()

const linSteps = 4096

// linear is the sRGB component c (0..255) in linear light.
func linear(c float64) float64 {
	x := math.Max(0, math.Min(255, c)) / 255 * linSteps
	i := int(x)
	f := x - float64(i)
	return linTable[i]*(1-f) + linTable[i+1]*f
}

// Lab converts an sRGB colour (0..255 a channel) to CIELAB under D65.
func Lab(r, g, b float64) [3]float64 {
	R, G, B := linear(r), linear(g), linear(b)
	x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
	y := 0.2126*R + 0.7152*G + 0.0722*B
	z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// DeltaE is the CIE76 colour difference of two CIELAB colours.
func DeltaE(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// DeltaE2000 is the CIEDE2000 colour difference of two CIELAB colours
// (Sharma, Wu and Dalal's formulation, kL = kC = kH = 1): 1 is about the
// smallest difference a person sees side by side.
func DeltaE2000(a, b [3]float64) float64 {
	const deg = math.Pi / 180
	l1, a1, b1 := a[0], a[1], a[2]
	l2, a2, b2 := b[0], b[1], b[2]
	cBar := (math.Hypot(a1, b1) + math.Hypot(a2, b2)) / 2
	c7 := math.Pow(cBar, 7)
	g := 0.5 * (1 - math.Sqrt(c7/(c7+math.Pow(25, 7))))
	a1p, a2p := (1+g)*a1, (1+g)*a2
	c1p, c2p := math.Hypot(a1p, b1), math.Hypot(a2p, b2)
	hue := func(b, ap float64) float64 {
		if b == 0 && ap == 0 {
			return 0
		}
		h := math.Atan2(b, ap) / deg
		if h < 0 {
			h += 360
		}
		return h
	}
	h1p, h2p := hue(b1, a1p), hue(b2, a2p)
	dLp, dCp := l2-l1, c2p-c1p
	dhp := 0.0
	if c1p*c2p != 0 {
		dhp = h2p - h1p
		switch {
		case dhp > 180:
			dhp -= 360
		case dhp < -180:
			dhp += 360
		}
	}
	dHp := 2 * math.Sqrt(c1p*c2p) * math.Sin(dhp/2*deg)
	lBar, cBarp := (l1+l2)/2, (c1p+c2p)/2
	hBarp := h1p + h2p
	if c1p*c2p != 0 {
		switch {
		case math.Abs(h1p-h2p) <= 180:
			hBarp /= 2
		case h1p+h2p < 360:
			hBarp = (hBarp + 360) / 2
		default:
			hBarp = (hBarp - 360) / 2
		}
	}
	t := 1 - 0.17*math.Cos((hBarp-30)*deg) + 0.24*math.Cos(2*hBarp*deg) + 0.32*math.Cos((3*hBarp+6)*deg) - 0.20*math.Cos((4*hBarp-63)*deg)
	dTheta := 30 * math.Exp(-math.Pow((hBarp-275)/25, 2))
	cp7 := math.Pow(cBarp, 7)
	rc := 2 * math.Sqrt(cp7/(cp7+math.Pow(25, 7)))
	sl := 1 + 0.015*math.Pow(lBar-50, 2)/math.Sqrt(20+math.Pow(lBar-50, 2))
	sc := 1 + 0.045*cBarp
	sh := 1 + 0.015*cBarp*t
	rt := -math.Sin(2*dTheta*deg) * rc
	return math.Sqrt(math.Pow(dLp/sl, 2) + math.Pow(dCp/sc, 2) + math.Pow(dHp/sh, 2) + rt*(dCp/sc)*(dHp/sh))
}
