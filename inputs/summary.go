package inputs

import "sync"

// Summary is what the commands' help and flags show of an embedded input:
// its description, its settings sets and whether it has a demo section.
type Summary struct {
	Name        string
	Description string
	Settings    []SettingsSummary
	Demo        bool
	// Err says why the input does not load (then only Name is set).
	Err error
}

// SettingsSummary is a settings set's name and description.
type SettingsSummary struct{ Name, Description string }

// Summaries returns the summaries of the embedded inputs, in Embedded
// order. The inputs are parsed once per process, on the first call: every
// command shows them (bootstrap's and get-settings' help and flags, demo's
// gateways), and parsing each input once per command made `apicenter
// --version` start in 60 ms instead of 20. The embedded files never
// change, so neither do their summaries.
var Summaries = sync.OnceValue(func() []Summary {
	var out []Summary
	for _, name := range Embedded() {
		f, err := LoadEmbedded(name)
		if err != nil {
			out = append(out, Summary{Name: name, Err: err})
			continue
		}
		s := Summary{Name: name, Description: f.Description, Demo: f.Demo != nil}
		for _, set := range f.Settings {
			s.Settings = append(s.Settings, SettingsSummary{Name: set.Name, Description: set.Description})
		}
		out = append(out, s)
	}
	return out
})
