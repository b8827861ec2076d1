package evidence

import "strings"

// ade20k is ADE20K's 150 classes in id order with their panoptic split, as
// the ADE20K panoptic benchmark defines it (100 things, 50 stuff; the list
// Mask2Former registers for ADE20K-150). Checkpoints spell the classes in
// several ways ("road, route", "road"; "windowpane", "window"), so the names
// hold the alternatives and a label set is taken for ADE20K's when it has 150
// classes and most of them name the class at their id.
var ade20k = []struct {
	names string
	thing bool
}{
	{"wall", false}, {"building, edifice", false}, {"sky", false}, {"floor, flooring", false}, {"tree", false},
	{"ceiling", false}, {"road, route", false}, {"bed", true}, {"windowpane, window", true}, {"grass", false},
	{"cabinet", true}, {"sidewalk, pavement", false}, {"person, individual, someone, somebody, mortal, soul", true},
	{"earth, ground", false}, {"door, double door", true}, {"table", true}, {"mountain, mount", false},
	{"plant, flora, plant life", false}, {"curtain, drape, drapery, mantle, pall", true}, {"chair", true},
	{"car, auto, automobile, machine, motorcar", true}, {"water", false}, {"painting, picture", true},
	{"sofa, couch, lounge", true}, {"shelf", true}, {"house", false}, {"sea", false}, {"mirror", true},
	{"rug, carpet, carpeting", false}, {"field", false}, {"armchair", true}, {"seat", true}, {"fence, fencing", true},
	{"desk", true}, {"rock, stone", false}, {"wardrobe, closet, press", true}, {"lamp", true},
	{"bathtub, bathing tub, bath, tub", true}, {"railing, rail", true}, {"cushion", true},
	{"base, pedestal, stand", false}, {"box", true}, {"column, pillar", true}, {"signboard, sign", true},
	{"chest of drawers, chest, bureau, dresser", true}, {"counter", true}, {"sand", false}, {"sink", true},
	{"skyscraper", false}, {"fireplace, hearth, open fireplace", true}, {"refrigerator, icebox", true},
	{"grandstand, covered stand", false}, {"path", false}, {"stairs, steps", true}, {"runway", false},
	{"case, display case, showcase, vitrine", true}, {"pool table, billiard table, snooker table", true},
	{"pillow", true}, {"screen door, screen", true}, {"stairway, staircase", false}, {"river", false},
	{"bridge, span", false}, {"bookcase", true}, {"blind, screen", false}, {"coffee table, cocktail table", true},
	{"toilet, can, commode, crapper, pot, potty, stool, throne", true}, {"flower", true}, {"book", true},
	{"hill", false}, {"bench", true}, {"countertop", true}, {"stove, kitchen stove, range, kitchen range, cooking stove", true},
	{"palm, palm tree", true}, {"kitchen island", true},
	{"computer, computing machine, computing device, data processor, electronic computer, information processing system", true},
	{"swivel chair", true}, {"boat", true}, {"bar", false}, {"arcade machine", true},
	{"hovel, hut, hutch, shack, shanty", false}, {"bus, autobus, coach, charabanc, double-decker, jitney, motorbus, motorcoach, omnibus, passenger vehicle", true},
	{"towel", true}, {"light, light source", true}, {"truck, motortruck", true}, {"tower", false},
	{"chandelier, pendant, pendent", true}, {"awning, sunshade, sunblind", true}, {"streetlight, street lamp", true},
	{"booth, cubicle, stall, kiosk", true}, {"television receiver, television, television set, tv, tv set, idiot box, boob tube, telly, goggle box", true},
	{"airplane, aeroplane, plane", true}, {"dirt track", false}, {"apparel, wearing apparel, dress, clothes", true},
	{"pole", true}, {"land, ground, soil", false}, {"bannister, banister, balustrade, balusters, handrail", true},
	{"escalator, moving staircase, moving stairway", false}, {"ottoman, pouf, pouffe, puff, hassock", true},
	{"bottle", true}, {"buffet, counter, sideboard", false}, {"poster, posting, placard, notice, bill, card", false},
	{"stage", false}, {"van", true}, {"ship", true}, {"fountain", true},
	{"conveyer belt, conveyor belt, conveyer, conveyor, transporter", false}, {"canopy", false},
	{"washer, automatic washer, washing machine", true}, {"plaything, toy", true},
	{"swimming pool, swimming bath, natatorium, pool", false}, {"stool", true}, {"barrel, cask", true},
	{"basket, handbasket", true}, {"waterfall, falls", false}, {"tent, collapsible shelter", false}, {"bag", true},
	{"minibike, motorbike", true}, {"cradle", false}, {"oven", true}, {"ball", true}, {"food, solid food", true},
	{"step, stair", true}, {"tank, storage tank", false}, {"trade name, brand name, brand, marque", true},
	{"microwave, microwave oven", true}, {"pot, flowerpot", true}, {"animal, animate being, beast, brute, creature, fauna", true},
	{"bicycle, bike, wheel, cycle", true}, {"lake", false}, {"dishwasher, dish washer, dishwashing machine", true},
	{"screen, silver screen, projection screen", true}, {"blanket, cover", false}, {"sculpture", true},
	{"hood, exhaust hood", true}, {"sconce", true}, {"vase", true}, {"traffic light, traffic signal, stoplight", true},
	{"tray", true}, {"ashcan, trash can, garbage can, wastebin, ash bin, ash-bin, ashbin, dustbin, trash barrel, trash bin", true},
	{"fan", true}, {"pier, wharf, wharfage, dock", false}, {"crt screen", false}, {"plate", true},
	{"monitor, monitoring device", true}, {"bulletin board, notice board", true}, {"shower", false},
	{"radiator", true}, {"glass, drinking glass", true}, {"clock", true}, {"flag", true},
}

// ade20kKinds gives the kinds of ADE20K's 150 classes when labels are its
// label set, spelled as any common checkpoint spells it.
func ade20kKinds(labels []string) ([]Kind, bool) {
	if len(labels) != len(ade20k) {
		return nil, false
	}
	named := 0
	kinds := make([]Kind, len(labels))
	for i, l := range labels {
		l = strings.ToLower(strings.TrimSpace(l))
		for _, alt := range strings.Split(ade20k[i].names, ",") {
			if strings.TrimSpace(alt) == l || strings.HasPrefix(ade20k[i].names, l+",") {
				named++
				break
			}
		}
		kinds[i] = KindStuff
		if ade20k[i].thing {
			kinds[i] = KindThing
		}
	}
	return kinds, named >= 120
}
