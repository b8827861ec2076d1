package critic

import (
	"testing"

	"github.com/twigdata/twigdata/internal/synth"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// BenchmarkScene measures the critic on one canvas: the scene, and each
// band's evidence and score, as compose runs them.
func BenchmarkScene(b *testing.B) {
	s := synth.NewScene(3)
	s.Width, s.Height = 384, 384
	img := s.Render()
	m := truth(img)
	bands := imageproc.Bands(384, 16, 3)
	p := prompt.Parse(s.Prompt)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc := evidence.NewScene(img, m, labels(), nil, p, bands, nil)
		for k := range bands {
			ev := sc.Band(k)
			Score(sc, k, ev, planOf(ev))
		}
	}
}
