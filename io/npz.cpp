#include "io/npz.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>

#include "io/file.h"
#include "tensor/strided.h"

namespace easel {

namespace {

// ---- little-endian helpers ------------------------------------------------------------------

uint64_t get_le(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | uint8_t(b[at + size_t(i)]);
  return v;
}

void put_le(std::string& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b.push_back(char(v >> (8 * i) & 0xff));
}


// ---- .npy ------------------------------------------------------------------------------------

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> "<f4"; shape -> "(2, 3)".
std::string header_field(const std::string& h, const std::string& key, const std::string& where) {
  const size_t k = h.find("'" + key + "'");
  EASEL_CHECK(k != std::string::npos, where, ": .npy header has no '", key, "' (header: ", h.substr(0, 200), ")");
  size_t v = h.find(':', k);
  EASEL_CHECK(v != std::string::npos, where, ": malformed .npy header: ", h.substr(0, 200));
  ++v;
  while (v < h.size() && h[v] == ' ') ++v;
  EASEL_CHECK(v < h.size(), where, ": malformed .npy header: ", h.substr(0, 200));
  const char open = h[v], close = open == '\'' ? '\'' : open == '(' ? ')' : 0;
  if (close) {
    const size_t e = h.find(close, v + 1);
    EASEL_CHECK(e != std::string::npos, where, ": malformed .npy header (unclosed ", open, "): ", h.substr(0, 200));
    return open == '(' ? h.substr(v, e - v + 1) : h.substr(v + 1, e - v - 1);
  }
  size_t e = v;
  while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
  return h.substr(v, e - v);
}

// "(2, 3)" -> {2, 3}; every dimension and the element count checked against overflow.
Shape parse_shape(const std::string& sh, const std::string& where) {
  Shape shape;
  for (size_t i = 1; i < sh.size();) {
    while (i < sh.size() && (sh[i] == ' ' || sh[i] == ',')) ++i;
    if (i >= sh.size() || sh[i] == ')') break;
    int64_t d = 0;
    size_t e = i;
    for (; e < sh.size() && isdigit(uint8_t(sh[e])); ++e) {
      EASEL_CHECK(d <= (int64_t(1) << 56), where, ": dimension too large in shape ", sh);
      d = d * 10 + (sh[e] - '0');
    }
    EASEL_CHECK(e > i, where, ": bad shape ", sh);
    shape.push_back(d);
    i = e;
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    EASEL_CHECK(d == 0 || n <= (int64_t(1) << 56) / d, where, ": shape ", sh, " has too many elements");
    n *= d;
  }
  return shape;
}

Tensor parse_npy(std::string_view b, const std::string& where) {
  EASEL_CHECK(b.size() >= 10 && b.compare(0, 6, "\x93NUMPY") == 0, where, ": not a .npy array (bad magic)");
  const int major = uint8_t(b[6]);
  EASEL_CHECK(major >= 1 && major <= 3, where, ": unsupported .npy format version ", major, ".", int(uint8_t(b[7])));
  const size_t len_bytes = major == 1 ? 2 : 4;
  EASEL_CHECK(b.size() >= 8 + len_bytes, where, ": truncated .npy header");
  const size_t hlen = size_t(get_le(b, 8, int(len_bytes)));
  const size_t data_at = 8 + len_bytes + hlen;
  EASEL_CHECK(b.size() >= data_at, where, ": truncated .npy header");
  const std::string h(b.substr(8 + len_bytes, hlen));
  const std::string descr = header_field(h, "descr", where);
  const std::string fortran = header_field(h, "fortran_order", where);
  EASEL_CHECK(fortran.find("False") == 0, where, ": Fortran-order arrays are not supported; save with "
              "np.ascontiguousarray(a) first");
  const Shape shape = parse_shape(header_field(h, "shape", where), where);
  EASEL_CHECK(descr.size() >= 2, where, ": bad dtype '", descr, "'");
  EASEL_CHECK(descr[0] != '>', where, ": big-endian dtype '", descr, "' is not supported; convert with a.astype('<",
              descr.substr(1), "')");
  const std::string t = descr.substr(descr[0] == '<' || descr[0] == '|' || descr[0] == '=' ? 1 : 0);
  struct Kind { const char* name; size_t size; DType dtype; };
  static const Kind kinds[] = {{"f4", 4, DType::f32}, {"f8", 8, DType::f64}, {"f2", 2, DType::f16}, {"i8", 8, DType::i64},
                               {"i4", 4, DType::i64}, {"u1", 1, DType::i64}, {"b1", 1, DType::i64}};
  const Kind* kind = nullptr;
  for (const Kind& k : kinds)
    if (t == k.name) kind = &k;
  EASEL_CHECK(kind, where, ": unsupported dtype '", descr, "' (supported: f4 f8 f2 i8 i4 u1 b1, little-endian)");
  const int64_t n = shape_numel(shape);  // < 2^56: the product of sizes cannot wrap
  EASEL_CHECK(b.size() - data_at >= size_t(n) * kind->size, where, ": truncated data: shape ", shape_str(shape), " of ",
              descr, " needs ", size_t(n) * kind->size, " bytes, the file has ", b.size() - data_at);
  Tensor out = Tensor::empty(shape, kind->dtype);
  const char* src = b.data() + data_at;
  if (kind->dtype == DType::i64 && kind->size != 8) {
    int64_t* dst = out.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      dst[i] = kind->size == 4 ? int64_t(int32_t(get_le(b, data_at + size_t(i) * 4, 4))) : int64_t(uint8_t(src[i]));
  } else {
    std::memcpy(out.raw_data(), src, size_t(n) * kind->size);
  }
  return out;
}

// The array as written: detached, bf16 widened to f32, dense (no copy when it already is).
Tensor npy_array(const Tensor& t_in) {
  Tensor t = t_in.detach().cpu();  // written from the host: a device tensor is copied over first
  if (t.dtype() == DType::bf16) t = t.to(DType::f32);
  return dense(t);
}

// The .npy header of a dense array: magic, version 1.0, the dict, padded so the data starts 64-byte aligned.
std::string npy_header(const char* descr, const Shape& dims) {
  std::string shape = "(";
  for (size_t i = 0; i < dims.size(); ++i) shape += std::to_string(dims[i]) + (dims.size() == 1 ? "," : i + 1 < dims.size() ? ", " : "");
  shape += ")";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t total = 10 + h.size() + 1;
  h += std::string((64 - total % 64) % 64, ' ') + "\n";  // data starts 64-byte aligned, as NumPy does
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  put_le(out, h.size(), 2);
  return out + h;
}

// ---- zip -----------------------------------------------------------------------------------

// Raw deflate of n bytes into exactly `expect` bytes (zlib's counters are 32-bit: fed in chunks).
std::string inflate_raw(const char* data, size_t n, size_t expect, const std::string& where) {
  std::string out(expect, '\0');
  z_stream zs{};
  EASEL_CHECK(inflateInit2(&zs, -MAX_WBITS) == Z_OK, where, ": zlib init failed");
  const size_t chunk = size_t(1) << 30;
  size_t in_left = n, out_done = 0;
  const char* in = data;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
      zs.avail_in = uInt(std::min(in_left, chunk));
      in += zs.avail_in, in_left -= zs.avail_in;
    }
    if (zs.avail_out == 0) {
      if (out_done >= expect) break;  // more data than the entry claims
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
      zs.avail_out = uInt(std::min(expect - out_done, chunk));
      out_done += zs.avail_out;
    }
    rc = inflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && (zs.avail_out == 0 || (in_left > 0 && zs.avail_in == 0))) rc = Z_OK;  // room or input to come
  }
  const size_t produced = out_done - zs.avail_out;
  inflateEnd(&zs);
  EASEL_CHECK(rc == Z_STREAM_END && produced == expect, where, ": corrupt deflated data (zlib status ", rc, ", ", produced,
              " of ", expect, " bytes)");
  return out;
}

std::string deflate_raw(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

uint32_t crc_of(const char* p, size_t n, uint32_t start = 0) {
  uLong c = start;
  while (n > 0) {  // crc32 takes a uInt length
    const uInt chunk = uInt(std::min<size_t>(n, 1u << 30));
    c = crc32(c, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk, n -= chunk;
  }
  return uint32_t(c);
}

}  // namespace

// Deflate produces at most about 1032 bytes per input byte: a larger claimed size is a lie (or a bomb).
constexpr uint64_t kMaxDeflateRatio = 1032;

// [at, at + n) lies inside a buffer of `size` bytes (no wrap-around whatever the values).
bool inside(uint64_t at, uint64_t n, uint64_t size) { return at <= size && n <= size - at; }

namespace {

// Every array of the archive `z` whose name `keep` accepts, in archive order. The whole central
// directory is checked either way; entries left out are not decoded.
NamedTensors read_npz(std::string_view z, const std::string& path, const NpzFilter& keep) {
  const uint64_t size = z.size();
  EASEL_CHECK(size >= 22, path, ": not a zip/.npz file (", size, " bytes)");
  // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
  size_t eocd = std::string::npos;
  const int64_t last = int64_t(size) - 22, first = std::max<int64_t>(0, last - 65535);
  for (int64_t i = last; i >= first; --i)
    if (z.compare(size_t(i), 4, "PK\x05\x06") == 0) {
      eocd = size_t(i);
      break;
    }
  EASEL_CHECK(eocd != std::string::npos, path, ": not a zip/.npz file (no end-of-central-directory record; truncated?)");
  uint64_t entries = get_le(z, eocd + 10, 2), cd_offset = get_le(z, eocd + 16, 4);
  if ((entries == 0xffff || cd_offset == 0xffffffff) && eocd >= 20 && z.compare(eocd - 20, 4, "PK\x06\x07") == 0) {
    const uint64_t z64 = get_le(z, eocd - 20 + 8, 8);  // ZIP64 end-of-central-directory record
    EASEL_CHECK(inside(z64, 56, size) && z.compare(size_t(z64), 4, "PK\x06\x06") == 0, path, ": bad ZIP64 record");
    entries = get_le(z, size_t(z64) + 32, 8);
    cd_offset = get_le(z, size_t(z64) + 48, 8);
  }
  EASEL_CHECK(entries <= size / 46, path, ": corrupt central directory (", entries, " entries claimed in ", size, " bytes)");
  NamedTensors out;
  std::set<std::string> seen;
  uint64_t at = cd_offset;
  for (uint64_t e = 0; e < entries; ++e) {
    EASEL_CHECK(inside(at, 46, size) && z.compare(size_t(at), 4, "PK\x01\x02") == 0, path,
                ": corrupt central directory (entry ", e, ")");
    const int method = int(get_le(z, size_t(at) + 10, 2));
    const uint32_t crc = uint32_t(get_le(z, size_t(at) + 16, 4));
    uint64_t csize = get_le(z, size_t(at) + 20, 4), usize = get_le(z, size_t(at) + 24, 4), local = get_le(z, size_t(at) + 42, 4);
    const uint64_t nlen = get_le(z, size_t(at) + 28, 2), xlen = get_le(z, size_t(at) + 30, 2), clen = get_le(z, size_t(at) + 32, 2);
    EASEL_CHECK(inside(at + 46, nlen + xlen + clen, size), path, ": corrupt central directory (entry ", e, " runs past the file)");
    const std::string name(z.substr(size_t(at) + 46, size_t(nlen)));
    const std::string where = path + ": " + name;
    const uint64_t xend = at + 46 + nlen + xlen;
    for (uint64_t x = at + 46 + nlen; x + 4 <= xend;) {  // ZIP64 extra: the 0xffffffff fields, in order
      const uint64_t id = get_le(z, size_t(x), 2), len = get_le(z, size_t(x) + 2, 2);
      EASEL_CHECK(x + 4 + len <= xend, where, ": corrupt extra field (runs past its entry)");
      if (id == 1) {
        uint64_t f = x + 4;
        auto field = [&](uint64_t& v) {
          if (v != 0xffffffff) return;
          EASEL_CHECK(f + 8 <= x + 4 + len, where, ": ZIP64 extra field too short");
          v = get_le(z, size_t(f), 8), f += 8;
        };
        field(usize), field(csize), field(local);
      }
      x += 4 + len;
    }
    at = xend + clen;
    EASEL_CHECK(seen.insert(name).second, where, ": the archive holds this array twice (NumPy would silently keep the "
                "last one; Easel refuses)");
    EASEL_CHECK(inside(local, 30, size) && z.compare(size_t(local), 4, "PK\x03\x04") == 0, where, ": bad local header");
    const uint64_t data = local + 30 + get_le(z, size_t(local) + 26, 2) + get_le(z, size_t(local) + 28, 2);
    EASEL_CHECK(inside(data, csize, size), where, ": truncated (", csize, " bytes expected, ",
                size - std::min(size, data), " present)");
    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    if (keep && !keep(key)) continue;
    std::string inflated;
    std::string_view raw;
    if (method == 0) {
      EASEL_CHECK(usize == csize, where, ": stored entry with sizes that differ (", csize, " stored, ", usize, " claimed)");
      raw = z.substr(size_t(data), size_t(csize));
    } else if (method == 8) {
      EASEL_CHECK(usize <= csize * kMaxDeflateRatio + 1024, where, ": claims ", usize, " bytes unpacked from ", csize,
                  " compressed, more than deflate can produce; the file is corrupt or hostile");
      inflated = inflate_raw(z.data() + data, size_t(csize), size_t(usize), where);
      raw = inflated;
    } else {
      throw Error(where + ": unsupported zip compression method " + std::to_string(method) + " (stored and deflate only)");
    }
    EASEL_CHECK(crc_of(raw.data(), raw.size()) == crc, where, ": CRC mismatch (the file is corrupt)");
    out.emplace_back(key, parse_npy(raw, where));
  }
  return out;
}

}  // namespace

NamedTensors load_npz(const std::string& path, const NpzFilter& keep) {
  const MappedFile file(path);
  return read_npz(file.bytes(), path, keep);
}

NamedTensors parse_npz(const std::string& bytes, const std::string& where) { return read_npz(bytes, where, nullptr); }

std::vector<std::string> npz_names(const std::string& path) {
  std::vector<std::string> names;
  load_npz(path, [&](const std::string& key) {
    names.push_back(key);
    return false;
  });
  return names;
}

const char* npy_descr(DType t) {
  return t == DType::f32 ? "<f4" : t == DType::f64 ? "<f8" : t == DType::i64 ? "<i8" : "<f2";
}

void save_npz(const std::string& path, const NamedTensors& arrays, bool compress, const NamedBytes& byte_arrays) {
  // Streamed: each entry's header, then its array straight from the tensor's memory (no copy of
  // the archive is ever held); the central directory is collected on the way and written last.
  AtomicFile f(path);
  std::string cd;
  uint64_t entries = 0;
  const auto write_entry = [&](const std::string& key, const std::string& header, std::string_view data) {
    EASEL_CHECK(!key.empty(), "save_npz(", path, "): empty array name");
    const std::string name = key + ".npy";
    ++entries;
    const uint64_t npy_size = header.size() + data.size();
    const std::string deflated = compress ? deflate_raw(header + std::string(data)) : std::string();
    const uint64_t body_size = compress ? deflated.size() : npy_size;
    const uint32_t crc = crc_of(data.data(), data.size(), crc_of(header.data(), header.size()));
    const uint64_t offset = f.size();
    const bool big = npy_size >= 0xffffffffULL || offset >= 0xffffffffULL;
    // local header (ZIP64 sizes go in its extra field when needed)
    std::string z;
    put_le(z, 0x04034b50, 4);
    put_le(z, big ? 45 : 20, 2);
    put_le(z, 0, 2);
    put_le(z, compress ? 8 : 0, 2);
    put_le(z, 0, 4);  // time, date
    put_le(z, crc, 4);
    put_le(z, big ? 0xffffffff : body_size, 4);
    put_le(z, big ? 0xffffffff : npy_size, 4);
    put_le(z, name.size(), 2);
    put_le(z, big ? 20 : 0, 2);
    z += name;
    if (big) {
      put_le(z, 1, 2), put_le(z, 16, 2), put_le(z, npy_size, 8), put_le(z, body_size, 8);
    }
    f.write(z);
    if (compress) {
      f.write(deflated);
    } else {
      f.write(header);
      f.write(data);
    }
    // central directory entry
    put_le(cd, 0x02014b50, 4);
    put_le(cd, big ? 45 : 20, 2);
    put_le(cd, big ? 45 : 20, 2);
    put_le(cd, 0, 2);
    put_le(cd, compress ? 8 : 0, 2);
    put_le(cd, 0, 4);
    put_le(cd, crc, 4);
    put_le(cd, big ? 0xffffffff : body_size, 4);
    put_le(cd, big ? 0xffffffff : npy_size, 4);
    put_le(cd, name.size(), 2);
    put_le(cd, big ? 28 : 0, 2);
    put_le(cd, 0, 2), put_le(cd, 0, 2), put_le(cd, 0, 2), put_le(cd, 0, 4);
    put_le(cd, big ? 0xffffffff : offset, 4);
    cd += name;
    if (big) {
      put_le(cd, 1, 2), put_le(cd, 24, 2), put_le(cd, npy_size, 8), put_le(cd, body_size, 8), put_le(cd, offset, 8);
    }
  };
  for (const auto& [key, t] : arrays) {
    const Tensor a = npy_array(t);
    write_entry(key, npy_header(npy_descr(a.dtype()), a.shape()),
                std::string_view(static_cast<const char*>(a.raw_data()), size_t(a.numel()) * dtype_size(a.dtype())));
  }
  for (const auto& [key, bytes] : byte_arrays) write_entry(key, npy_header("|u1", {int64_t(bytes.size())}), bytes);
  const uint64_t cd_offset = f.size(), n = entries;
  std::string z = cd;
  const bool big = cd_offset >= 0xffffffffULL || n >= 0xffff;
  if (big) {  // ZIP64 end of central directory record + locator
    const uint64_t rec = cd_offset + z.size();
    put_le(z, 0x06064b50, 4), put_le(z, 44, 8), put_le(z, 45, 2), put_le(z, 45, 2), put_le(z, 0, 4), put_le(z, 0, 4);
    put_le(z, n, 8), put_le(z, n, 8), put_le(z, cd.size(), 8), put_le(z, cd_offset, 8);
    put_le(z, 0x07064b50, 4), put_le(z, 0, 4), put_le(z, rec, 8), put_le(z, 1, 4);
  }
  put_le(z, 0x06054b50, 4);
  put_le(z, 0, 2), put_le(z, 0, 2);
  put_le(z, big ? 0xffff : n, 2), put_le(z, big ? 0xffff : n, 2);
  put_le(z, big ? 0xffffffff : cd.size(), 4);
  put_le(z, big ? 0xffffffff : cd_offset, 4);
  put_le(z, 0, 2);
  f.write(z);
  f.commit();
}

bool load_npz_bytes(const std::string& path, const std::string& name, std::string* bytes) {
  const NamedTensors found = load_npz(path, [&](const std::string& k) { return k == name; });
  if (found.empty()) return false;
  const Tensor& t = found.front().second;  // u1 is read as i64 (0..255)
  EASEL_CHECK(t.dtype() == DType::i64 && t.dim() == 1, path, ": '", name, "' is not a 1-D byte array");
  bytes->clear();
  const int64_t* values = t.data<int64_t>();  // dense as read
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t v = values[i];
    EASEL_CHECK(v >= 0 && v <= 255, path, ": '", name, "' holds ", v, ", not a byte");
    bytes->push_back(char(uint8_t(v)));
  }
  return true;
}

Tensor npz_get(const NamedTensors& arrays, const std::string& name, const std::string& path) {
  std::string names;
  for (const auto& [k, t] : arrays) {
    if (k == name) return t;
    if (names.size() < 300) names += " " + k;
  }
  throw Error(path + ": no array named '" + name + "' (arrays:" + names + ")");
}



}  // namespace easel
