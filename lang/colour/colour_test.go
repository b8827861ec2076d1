package colour

import (
	"math"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	for attrs, want := range map[string]string{"light blue": "light blue", "soft yellow": "yellow", "dark green": "dark green", "wooden": "", "dark": ""} {
		if got := Of(strings.Fields(attrs)); got != want {
			t.Errorf("Of(%s) = %q, want %q", attrs, got, want)
		}
	}
}

// TestNameColorIsPerceptual: measured colours take the named colour nearest
// in CIELAB. By RGB distance the first two were "dark green" and "beige".
func TestNameColorIsPerceptual(t *testing.T) {
	for _, tc := range []struct {
		rgb  [3]float64
		want string
	}{
		{[3]float64{72, 82, 90}, "gray"},     // bluish gray water
		{[3]float64{190, 192, 198}, "white"}, // an overcast sky
		{[3]float64{150, 65, 50}, "brown"},   // brick in shade
		{[3]float64{215, 35, 40}, "red"},
		{[3]float64{135, 195, 235}, "light blue"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := Name(tc.rgb[0], tc.rgb[1], tc.rgb[2]); got != tc.want {
				t.Errorf("Name(%v) = %q, want %q", tc.rgb, got, tc.want)
			}
		})
	}
	for _, c := range colors {
		if c.Named {
			if got := Name(c.R, c.G, c.B); got != c.Name {
				t.Errorf("the prototype of %q is named %q", c.Name, got)
			}
		}
	}
}

// TestNameShadeNamesSurfacesAsPeopleDo holds the shade words to what they
// measure: lightness against the hue's plain name, chroma, a gray's trace of
// hue, and a hue the palette's nearest prototype alone gets wrong (by
// distance alone, deep water is "black"). Each name keeps Name's hue word, and Of
// reads it back as a colour.
func TestNameShadeNamesSurfacesAsPeopleDo(t *testing.T) {
	for _, tc := range []struct {
		name string
		rgb  [3]float64
		want string
	}{
		{"a plain brown", [3]float64{122, 72, 32}, "brown"},
		{"dark brown floorboards", [3]float64{80, 48, 25}, "dark brown"},
		{"a brick wall", [3]float64{170, 80, 60}, "reddish brown"},
		{"a clear sky", [3]float64{150, 190, 230}, "pale blue"},
		{"a deep sky", [3]float64{60, 110, 200}, "deep blue"},
		{"deep water", [3]float64{30, 80, 120}, "very dark blue"},
		{"a hazy sky", [3]float64{140, 165, 190}, "light grayish blue"},
		{"spring grass", [3]float64{80, 150, 50}, "vivid green"},
		{"dry grass", [3]float64{190, 170, 120}, "beige"},
		{"a dusty floor", [3]float64{185, 175, 150}, "grayish beige"},
		{"an evening sky", [3]float64{225, 120, 60}, "orange"},
		{"a light gray overcast sky", [3]float64{165, 168, 168}, "light gray"},
		{"a blue-gray overcast sky", [3]float64{160, 170, 185}, "light bluish gray"},
		{"a dark gray wall", [3]float64{88, 88, 90}, "dark gray"},
		{"a middle gray", [3]float64{135, 135, 135}, "gray"},
		{"a pinkish white evening sky", [3]float64{245, 225, 232}, "pinkish white"},
		{"white takes no tone", [3]float64{250, 250, 250}, "white"},
		{"black takes no tone", [3]float64{10, 10, 10}, "black"},
		// From the held-apart world's photographs (development scenes):
		{"a lavender dusk sky", [3]float64{200, 177, 217}, "pale purple"},
		{"lavender water", [3]float64{112, 98, 143}, "grayish purple"},
		{"a storm sky, not the lighter purple", [3]float64{89, 111, 145}, "dark grayish blue"},
		{"a foggy sky is light gray, not white", [3]float64{208, 208, 208}, "light gray"},
		{"weathered boards are dark gray, not black", [3]float64{68, 68, 68}, "dark gray"},
		{"forest undergrowth is green, not black", [3]float64{20, 37, 18}, "very dark green"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NameShade(tc.rgb[0], tc.rgb[1], tc.rgb[2])
			if got != tc.want {
				t.Errorf("NameShade(%v) = %q, want %q", tc.rgb, got, tc.want)
			}
			base := Name(tc.rgb[0], tc.rgb[1], tc.rgb[2])
			hue, gotHue := strings.Fields(base), strings.Fields(got)
			if h := hue[len(hue)-1]; h != gotHue[len(gotHue)-1] && !(achromatic[h] && achromatic[gotHue[len(gotHue)-1]]) {
				t.Errorf("Name(%v) = %q: NameShade names another hue", tc.rgb, base)
			}
			if c := Of(strings.Fields(got)); c == "" || !strings.HasSuffix(got, c) {
				t.Errorf("Of(%q) = %q", got, c)
			}
		})
	}
}

// TestTurnsIsAChangeAReaderSees: continuing scenery "turns" to another hue
// or to a shade word of its own, not by losing one.
func TestTurnsIsAChangeAReaderSees(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"gray", "light blue", true},
		{"green", "dark green", true},
		{"pale blue", "light blue", true},
		{"vivid green", "green", false},
		{"blue", "blue", false},
	} {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			if got := Turns(tc.from, tc.to); got != tc.want {
				t.Errorf("Turns(%q, %q) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
	}
}

// TestReferenceIsWhatNamingCalls: the reference of every shade name
// NameShade gives (on an sRGB grid) is a colour NameShade gives that name —
// naming and judging speak one vocabulary — except the colour table's own
// entries ("light blue", "dark green"), which keep their values; a shade
// word NameShade never uses leaves the colour's own reference.
func TestReferenceIsWhatNamingCalls(t *testing.T) {
	n := 0
	for name := range shadeRefs() {
		if _, table := colorEntry(name); table {
			continue
		}
		n++
		r, g, b, ok := Reference(name)
		if got := NameShade(r, g, b); !ok || got != name {
			t.Errorf("Reference(%q) = (%.0f, %.0f, %.0f), %v, named %q", name, r, g, b, ok, got)
		}
	}
	if n < 80 {
		t.Errorf("only %d shade names on the grid", n)
	}
	for _, tc := range []struct{ name, as string }{{"light white", "white"}, {"deep black", "black"}, {"vivid grey", "grey"}} {
		r, g, b, ok := Reference(tc.name)
		wr, wg, wb, _ := Reference(tc.as)
		if !ok || math.Abs(r-wr) > 0.5 || math.Abs(g-wg) > 0.5 || math.Abs(b-wb) > 0.5 {
			t.Errorf("Reference(%q) = (%.0f, %.0f, %.0f), %v; want %q's", tc.name, r, g, b, ok, tc.as)
		}
	}
	if _, _, _, ok := Reference("pale table"); ok {
		t.Error("Reference(\"pale table\") found a colour")
	}
}

// TestDeltaE2000MatchesSharmasData: pairs of Sharma, Wu and Dalal's test
// data (2005) with their published CIEDE2000 differences.
func TestDeltaE2000MatchesSharmasData(t *testing.T) {
	for _, tc := range []struct {
		a, b [3]float64
		want float64
	}{
		{[3]float64{50, 2.6772, -79.7751}, [3]float64{50, 0, -82.7485}, 2.0425},
		{[3]float64{50, -1.3802, -84.2814}, [3]float64{50, 0, -82.7485}, 1.0000},
		{[3]float64{50, 0, 0}, [3]float64{50, -1, 2}, 2.3669},
		{[3]float64{50, 2.5, 0}, [3]float64{73, 25, -18}, 27.1492},
		{[3]float64{22.7233, 20.0904, -46.6940}, [3]float64{23.0331, 14.9730, -42.5619}, 2.0373},
		{[3]float64{90.8027, -2.0831, 1.4410}, [3]float64{91.1528, -1.6435, 0.0447}, 1.4441},
		{[3]float64{2.0776, 0.0795, -1.1350}, [3]float64{0.9033, -0.0636, -0.5514}, 0.9082},
	} {
		if got := DeltaE2000(tc.a, tc.b); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("DeltaE2000(%v, %v) = %.4f, want %.4f", tc.a, tc.b, got, tc.want)
		}
	}
}
