// Package journeys drives the real inspraak binary on PostgreSQL with
// headless Chromium: the citizens', staff's, moderators' and politicians'
// journeys end to end, axe-core's WCAG 2.1 A and AA rules on every page in
// Danish, Dutch and English, every page at 320 px without horizontal
// scrolling, and screenshots of the key pages in artifacts/.
//
// It needs Chromium (CHROME_PATH, /usr/bin/chromium or chromium on PATH),
// TEST_DATABASE_URL and axe-core (npm ci in this folder); without any of
// them every test skips and says what to install.
package journeys
