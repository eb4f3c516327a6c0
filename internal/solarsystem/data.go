package solarsystem

// Planet is one of the eight planets.
type Planet struct {
	Name string `json:"name"`
	// Type is "terrestrial", "gas giant" or "ice giant".
	Type string `json:"type"`
	// MeanRadiusKm is the volumetric mean radius.
	MeanRadiusKm float64 `json:"meanRadiusKm"`
	// MassE24Kg is the mass in units of 10^24 kg.
	MassE24Kg float64 `json:"massE24Kg"`
	// SemiMajorAxisAU is the mean distance from the Sun in astronomical units.
	SemiMajorAxisAU float64 `json:"semiMajorAxisAU"`
	// OrbitalPeriodDays is the sidereal orbital period.
	OrbitalPeriodDays float64 `json:"orbitalPeriodDays"`
	// Moons is the number of known moons recognised by the IAU (early 2025).
	Moons int `json:"moons"`
}

// Moon is a major moon of a planet (or of the dwarf planet Pluto).
type Moon struct {
	Name string `json:"name"`
	// Planet is the body the moon orbits.
	Planet       string  `json:"planet"`
	MeanRadiusKm float64 `json:"meanRadiusKm"`
	// OrbitalPeriodDays is the sidereal period around its planet.
	OrbitalPeriodDays float64 `json:"orbitalPeriodDays"`
	// DiscoveredYear is 0 for the Moon, known since prehistory.
	DiscoveredYear int    `json:"discoveredYear,omitempty"`
	DiscoveredBy   string `json:"discoveredBy"`
}

// Asteroid is a large or notable asteroid.
type Asteroid struct {
	Name string `json:"name"`
	// Class is "dwarf planet", "main belt" or "near-Earth".
	Class             string  `json:"class"`
	MeanRadiusKm      float64 `json:"meanRadiusKm"`
	SemiMajorAxisAU   float64 `json:"semiMajorAxisAU"`
	OrbitalPeriodDays float64 `json:"orbitalPeriodDays"`
	DiscoveredYear    int     `json:"discoveredYear"`
	DiscoveredBy      string  `json:"discoveredBy"`
}

// Sources of the figures: NASA's Planetary Fact Sheet and Planetary
// Satellite Physical/Orbital Parameters (JPL Solar System Dynamics), and
// the JPL Small-Body Database. Moon counts change as moons are found; these
// are the IAU-recognised counts of early 2025.

func planets() []Planet {
	return []Planet{
		{"Mercury", "terrestrial", 2439.7, 0.33011, 0.387, 87.969, 0},
		{"Venus", "terrestrial", 6051.8, 4.8675, 0.723, 224.701, 0},
		{"Earth", "terrestrial", 6371.0, 5.9724, 1.000, 365.256, 1},
		{"Mars", "terrestrial", 3389.5, 0.64171, 1.524, 686.980, 2},
		{"Jupiter", "gas giant", 69911, 1898.19, 5.203, 4332.589, 95},
		{"Saturn", "gas giant", 58232, 568.34, 9.537, 10759.22, 274},
		{"Uranus", "ice giant", 25362, 86.813, 19.191, 30685.4, 28},
		{"Neptune", "ice giant", 24622, 102.413, 30.069, 60189, 16},
	}
}

func moons() []Moon {
	return []Moon{
		{"Moon", "Earth", 1737.4, 27.322, 0, "known since prehistory"},
		{"Phobos", "Mars", 11.08, 0.319, 1877, "Asaph Hall"},
		{"Deimos", "Mars", 6.2, 1.263, 1877, "Asaph Hall"},
		{"Io", "Jupiter", 1821.6, 1.769, 1610, "Galileo Galilei"},
		{"Europa", "Jupiter", 1560.8, 3.551, 1610, "Galileo Galilei"},
		{"Ganymede", "Jupiter", 2634.1, 7.155, 1610, "Galileo Galilei"},
		{"Callisto", "Jupiter", 2410.3, 16.689, 1610, "Galileo Galilei"},
		{"Titan", "Saturn", 2574.7, 15.945, 1655, "Christiaan Huygens"},
		{"Enceladus", "Saturn", 252.1, 1.370, 1789, "William Herschel"},
		{"Rhea", "Saturn", 763.8, 4.518, 1672, "Giovanni Domenico Cassini"},
		{"Iapetus", "Saturn", 734.5, 79.322, 1671, "Giovanni Domenico Cassini"},
		{"Dione", "Saturn", 561.4, 2.737, 1684, "Giovanni Domenico Cassini"},
		{"Tethys", "Saturn", 531.1, 1.888, 1684, "Giovanni Domenico Cassini"},
		{"Mimas", "Saturn", 198.2, 0.942, 1789, "William Herschel"},
		{"Titania", "Uranus", 788.4, 8.706, 1787, "William Herschel"},
		{"Oberon", "Uranus", 761.4, 13.463, 1787, "William Herschel"},
		{"Umbriel", "Uranus", 584.7, 4.144, 1851, "William Lassell"},
		{"Ariel", "Uranus", 578.9, 2.520, 1851, "William Lassell"},
		{"Miranda", "Uranus", 235.8, 1.413, 1948, "Gerard Kuiper"},
		{"Triton", "Neptune", 1353.4, 5.877, 1846, "William Lassell"},
		{"Charon", "Pluto", 606.0, 6.387, 1978, "James Christy"},
	}
}

func asteroids() []Asteroid {
	return []Asteroid{
		{"Ceres", "dwarf planet", 469.7, 2.77, 1681.6, 1801, "Giuseppe Piazzi"},
		{"Vesta", "main belt", 262.7, 2.36, 1325.4, 1807, "Heinrich Olbers"},
		{"Pallas", "main belt", 256.0, 2.77, 1686.0, 1802, "Heinrich Olbers"},
		{"Hygiea", "main belt", 216.5, 3.14, 2031.0, 1849, "Annibale de Gasparis"},
		{"Juno", "main belt", 127.0, 2.67, 1593.0, 1804, "Karl Ludwig Harding"},
		{"Psyche", "main belt", 111.0, 2.92, 1826.0, 1852, "Annibale de Gasparis"},
		{"Eros", "near-Earth", 8.42, 1.458, 643.2, 1898, "Gustav Witt"},
		{"Bennu", "near-Earth", 0.245, 1.126, 436.6, 1999, "LINEAR"},
	}
}
