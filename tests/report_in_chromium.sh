#!/usr/bin/env bash
# The HTML report opened in headless Chromium: it must load without errors, every picture in it
# must decode and not be blank (a flat image), the charts must be inline SVG whose text a reader
# finds (the class names on the confusion matrix's axes), and a screenshot of the page must show
# ink. A small checker script is injected into a copy of the report; Chromium runs it on load and
# writes its verdict into the DOM it dumps.
#   report_in_chromium.sh EASEL_BINARY WORK_DIR
# Exit 77 (CTest: skipped) when no Chromium is installed; `bash run.sh test` installs it.
set -euo pipefail
easel=$1 work=$2/report_chromium
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $browser ]]; then echo "no chromium: skipping (apt-get install chromium)"; exit 77; fi
rm -rf "$work" && mkdir -p "$2"
"$easel" demo --quick --out "$work" > "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
report=$work/report.html
test -s "$report"
# The demo scored its planted label errors with real numbers.
grep -q "AUROC at telling them apart: confidence [0-9]" "$work.log" || { echo "demo: no outlier AUROC"; tail -20 "$work.log"; exit 1; }
# No external references: everything is embedded.
if grep -Eo '(src|href)="[^"]*"' "$report" | grep -v '"data:image/\(png\|jpeg\);base64,\|href="#[a-z]*"' | grep -q .; then
  echo "report refers to external files:"; grep -Eo '(src|href)="[^"]{0,60}' "$report" | grep -v data: ; exit 1
fi
checker='<script>
window.__errors = [];
window.addEventListener("error", e => __errors.push(e.message || (e.target && e.target.tagName) || "error"), true);
window.addEventListener("load", () => {
  let broken = 0, blank = 0;
  for (const im of document.images) {
    if (im.id === "thumb") continue;  // the t-SNE hover box, empty until a point is hovered
    if (!im.complete || im.naturalWidth === 0) { broken++; continue; }
    const c = document.createElement("canvas");
    c.width = im.naturalWidth; c.height = im.naturalHeight;
    const g = c.getContext("2d"); g.drawImage(im, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let lo = 765, hi = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (hi - lo < 30) blank++;
  }
  // Charts: inline SVG with real text; the confusion matrix names both classes on both axes.
  const svgs = document.querySelectorAll("figure svg");
  const conf = document.querySelector("#errors ~ figure svg");
  const named = conf ? [...conf.querySelectorAll("text")].map(t => t.textContent) : [];
  const classes = ["abstract", "figurative"].every(c => named.filter(t => t === c).length === 2);
  const hover = document.querySelectorAll("#tsne circle[data-key] title").length;
  const nav = document.querySelectorAll("nav a").length;
  // Hovering a point shows its painting: the script fills the floating thumbnail.
  const dot = document.querySelector("#tsne circle[data-key]");
  if (dot) dot.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  const thumb = document.getElementById("thumb");
  const shown = !!thumb && thumb.style.display === "block" && thumb.src.startsWith("data:image/jpeg;base64,");
  document.body.setAttribute("data-check", "images=" + document.images.length + " svgs=" + svgs.length + " classes=" + classes +
    " hover=" + hover + " shown=" + shown + " nav=" + nav + " broken=" + broken + " blank=" + blank + " errors=" + __errors.length);
});
</script>'
shopt -u patsub_replacement 2>/dev/null || true  # bash 5.2: a literal "&" in the replacement
html=$(<"$report")
printf '%s\n' "${html/<head>/<head>$checker}" > "$work/checked.html"
dom=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking \
      --disable-extensions --no-first-run --virtual-time-budget=10000 --dump-dom "file://$(realpath "$work/checked.html")" 2>"$work/chromium.err")
verdict=$(grep -o 'data-check="[^"]*"' <<<"$dom" || true)
echo "chromium: ${verdict:-no verdict}"
[[ -n $verdict ]] || { tail -20 "$work/chromium.err"; exit 1; }
n=$(sed -E 's/.*images=([0-9]+).*/\1/' <<<"$verdict") svgs=$(sed -E 's/.*svgs=([0-9]+).*/\1/' <<<"$verdict")
hover=$(sed -E 's/.*hover=([0-9]+).*/\1/' <<<"$verdict") nav=$(sed -E 's/.*nav=([0-9]+).*/\1/' <<<"$verdict")
[[ $n -ge 4 ]] || { echo "expected at least 4 raster pictures (galleries), got $n"; exit 1; }
[[ $svgs -ge 5 ]] || { echo "expected at least 5 inline SVG charts, got $svgs"; exit 1; }
[[ $hover -ge 20 ]] || { echo "expected the t-SNE points to carry hover titles, got $hover"; exit 1; }
[[ $nav -ge 8 ]] || { echo "expected a navigation bar of at least 8 sections, got $nav"; exit 1; }
grep -q 'shown=true' <<<"$verdict" || { echo "hovering a t-SNE point does not show its painting"; exit 1; }
grep -q 'classes=true' <<<"$verdict" || { echo "the confusion matrix's SVG does not name both classes on both axes"; exit 1; }
grep -q 'broken=0 blank=0 errors=0' <<<"$verdict" || exit 1
grep -q '<h2 id="svm">SVM head</h2>' "$report" && grep -q '<h2 id="outliers">Outliers and suspicious labels</h2>' "$report"
# A screenshot of the top of the page (title, navigation, metrics, curves): it must show ink.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking \
  --disable-extensions --no-first-run --hide-scrollbars --window-size=1200,2400 --virtual-time-budget=10000 \
  --screenshot="$work/screenshot.png" "file://$(realpath "$report")" 2>>"$work/chromium.err" >/dev/null
test -s "$work/screenshot.png" || { echo "no screenshot"; tail -5 "$work/chromium.err"; exit 1; }
[[ $(stat -c %s "$work/screenshot.png") -gt 50000 ]] || { echo "the screenshot is nearly empty"; exit 1; }
if [[ -n ${EASEL_KEEP_SCREENSHOT:-} ]]; then cp "$work/screenshot.png" "$EASEL_KEEP_SCREENSHOT"; fi
rm -rf "$work" "$work.log"
echo "report: loads in Chromium, $svgs SVG charts and $n pictures, none broken or blank; class names on the axes; screenshot taken"
