// Command apicenter sets up an Okta org for the "OAuth among an app, Okta and
// an API gateway" reference architecture, and carries a local Okta-compatible
// org, a reference gateway and a web app to see it work on one machine.
package main

import (
	"os"

	"github.com/apicenter/apicenter/internal/iostreams"
)

func main() { os.Exit(Main(os.Args[1:], iostreams.System())) }
