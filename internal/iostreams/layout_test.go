package iostreams

import "testing"

func TestWrap(t *testing.T) {
	tests := []struct {
		name, in string
		width    int
		indent   string
		want     string
	}{
		{"fits", "a short hint", 20, "  ", "a short hint"},
		{"at word boundaries", "redirect URI of the web app (give the same to Mulesoft)", 20, "", "redirect URI of the\nweb app (give the\nsame to Mulesoft)"},
		{"indented continuation lines count the indent", "one two three four five", 11, "  ", "one two\n  three\n  four five"},
		{"a leading indent is kept", "  one two three", 9, "  ", "  one two\n  three"},
		{"a long word keeps its own line, uncut", "see http://localhost:8080/authorization-code/callback now", 20, "", "see\nhttp://localhost:8080/authorization-code/callback\nnow"},
		{"newlines start lines", "first\nsecond line", 40, "> ", "first\n> second line"},
		{"no width: no wrapping", "one two three", 0, "", "one two three"},
		{"exactly the width", "abc def", 7, "", "abc def"},
		{"spaces inside a line are kept", "a  b   c", 40, "", "a  b   c"},
		{"a long first word after an indent stays on the first line", "  averylongword short", 8, "  ", "  averylongword\n  short"},
		{"spaces inside a line are kept without a width", "a  b", 0, "", "a  b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Wrap(tt.in, tt.width, tt.indent); got != tt.want {
				t.Errorf("Wrap(%q, %d, %q) =\n%q\nwant\n%q", tt.in, tt.width, tt.indent, got, tt.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"solar system API", 20, "solar system API"},
		{"solar system token introspection", 16, "solar s…spection"},
		{"http://myapp.com/scp/silver", 15, "http://…/silver"},
		{"abcdef", 1, "…f"},
	}
	for _, tt := range tests {
		got := Shorten(tt.in, tt.width)
		if got != tt.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
		if w := len([]rune(got)); w > max(tt.width, 2) {
			t.Errorf("Shorten(%q, %d) is %d runes wide", tt.in, tt.width, w)
		}
	}
}
