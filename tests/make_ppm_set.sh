# Sourced by the CLI test scripts: make_ppm_set DIR N writes N 16x16 binary PPMs of noisy dark and
# light pictures into DIR/dark and DIR/light (a two-class ImageFolder, no image library needed).
make_ppm_set() {
  local dir=$1 n=$2 i cls v
  mkdir -p "$dir/dark" "$dir/light"
  for i in $(seq 1 "$n"); do
    for cls in dark light; do
      v=$([[ $cls == dark ]] && echo 40 || echo 210)
      { printf 'P6\n16 16\n255\n'; for _ in $(seq 1 256); do printf "\\$(printf %o $((v + RANDOM % 30)))"'\x80\x80'; done; } > "$dir/$cls/$i.ppm"
    done
  done
}
