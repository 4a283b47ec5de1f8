#!/usr/bin/env bash
# The HTML report opened in headless Chromium: it must load without errors, and every picture in
# it must decode and not be blank (a flat image). A small checker script is injected into a copy
# of the report; Chromium runs it on load and writes its verdict into the DOM it dumps.
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
if grep -Eo '(src|href)="[^"]*"' "$report" | grep -v '"data:image/png;base64,' | grep -q .; then
  echo "report refers to external files:"; grep -Eo '(src|href)="[^"]{0,60}' "$report" | grep -v data: ; exit 1
fi
checker='<script>
window.__errors = [];
window.addEventListener("error", e => __errors.push(e.message || (e.target && e.target.tagName) || "error"), true);
window.addEventListener("load", () => {
  let broken = 0, blank = 0;
  for (const im of document.images) {
    if (!im.complete || im.naturalWidth === 0) { broken++; continue; }
    const c = document.createElement("canvas");
    c.width = im.naturalWidth; c.height = im.naturalHeight;
    const g = c.getContext("2d"); g.drawImage(im, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let lo = 765, hi = 0;
    for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (hi - lo < 30) blank++;
  }
  document.body.setAttribute("data-check", "images=" + document.images.length + " broken=" + broken + " blank=" + blank + " errors=" + __errors.length);
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
n=$(sed -E 's/.*images=([0-9]+).*/\1/' <<<"$verdict")
[[ $n -ge 7 ]] || { echo "expected at least 7 pictures, got $n"; exit 1; }
grep -q 'broken=0 blank=0 errors=0' <<<"$verdict" || exit 1
grep -q '<h2>SVM head</h2>' "$report" && grep -q '<h2>Outliers and suspicious labels</h2>' "$report"
rm -rf "$work" "$work.log"
echo "report: loads in Chromium, $n pictures, none broken or blank"
