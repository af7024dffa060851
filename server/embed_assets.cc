// ktune_embed_assets: a build-time host tool. Reads every file under a directory (the UI's
// Vite build) and writes a C++ source defining ktune::server::internal::BuiltUiAssets() (see
// server/ui_assets.h): each file's URL path, content type, bytes, its gzip -9 form (kept only
// when it saves at least a tenth) and a strong ETag from the bytes' SHA-256.
//
//   ktune_embed_assets OUT.cc DIR
//
// The bytes become string literals (octal escapes for anything but plain ASCII), which
// compilers read much faster than a brace list of numbers. OUT.cc is rewritten only when its
// content changes, so an unchanged UI build recompiles nothing. Exit status 1 on any error.

#include <openssl/sha.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct File {
  std::string path;  // URL path, "/assets/index-abc.js"
  std::string content_type;
  std::string data;
  std::string gzip;
  std::string etag;  // hex, without quotes
};

std::string ContentType(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".otf", "font/otf"},
      {".wasm", "application/wasm"},
      {".txt", "text/plain; charset=utf-8"},
      {".yaml", "text/yaml; charset=utf-8"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

bool Gzip(const std::string& in, std::string* out) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper; its header has no name and mtime 0 (like gzip -9n),
  // so the output depends on the bytes only.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out->resize(deflateBound(&z, in.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&z, Z_FINISH);
  out->resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

std::string Sha256Hex(const std::string& data, size_t hex_chars) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex.substr(0, hex_chars);
}

// `data` as adjacent string literals of at most ~96 source characters per line.
void WriteLiteral(std::ostream& os, const std::string& data) {
  std::string line = "    \"";
  for (unsigned char c : data) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      line += static_cast<char>(c);
    } else {
      // Always three octal digits: a following digit cannot extend the escape.
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\%03o", c);
      line += esc;
    }
    if (line.size() >= 96) {
      os << line << "\"\n";
      line = "    \"";
    }
  }
  os << line << "\"";
}

// A C++ string literal of plain text (paths, content types).
std::string Quoted(const std::string& s) {
  std::ostringstream os;
  WriteLiteral(os, s);
  std::string q = os.str();
  return q.substr(q.find('"'));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ktune_embed_assets OUT.cc DIR\n";
    return 2;
  }
  const fs::path out_path = argv[1];
  const fs::path dir = argv[2];
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << "ktune_embed_assets: " << dir.string() << ": no such directory\n";
    return 1;
  }
  std::vector<File> files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    File f;
    f.path = "/" + fs::relative(e.path(), dir).generic_string();
    f.content_type = ContentType(e.path());
    std::ifstream in(e.path(), std::ios::binary);
    f.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::cerr << "ktune_embed_assets: cannot read " << e.path().string() << "\n";
      return 1;
    }
    std::string gz;
    if (!Gzip(f.data, &gz)) {
      std::cerr << "ktune_embed_assets: gzip failed on " << e.path().string() << "\n";
      return 1;
    }
    if (gz.size() * 10 <= f.data.size() * 9) f.gzip = std::move(gz);
    f.etag = Sha256Hex(f.data, 32);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.path < b.path; });
  if (std::none_of(files.begin(), files.end(),
                   [](const File& f) { return f.path == "/index.html"; })) {
    std::cerr << "ktune_embed_assets: " << dir.string() << " has no index.html\n";
    return 1;
  }

  std::ostringstream os;
  os << "// Generated by ktune_embed_assets from the UI build: do not edit.\n"
     << "#include \"server/ui_assets.h\"\n\n"
     << "namespace ktune::server::internal {\nnamespace {\n\n";
  size_t raw = 0, compressed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const File& f = files[i];
    raw += f.data.size();
    compressed += f.gzip.empty() ? f.data.size() : f.gzip.size();
    os << "// " << f.path << "\nconstexpr char kData" << i << "[] =\n";
    WriteLiteral(os, f.data);
    os << ";\n";
    if (!f.gzip.empty()) {
      os << "constexpr char kGzip" << i << "[] =\n";
      WriteLiteral(os, f.gzip);
      os << ";\n";
    }
    os << "\n";
  }
  os << "constexpr UiAsset kAssets[] = {\n";
  for (size_t i = 0; i < files.size(); ++i) {
    const File& f = files[i];
    os << "    {" << Quoted(f.path) << ", " << Quoted(f.content_type) << ", \"\\\"" << f.etag
       << "\\\"\", \"\\\"" << f.etag << "-gzip\\\"\",\n     {kData" << i << ", " << f.data.size()
       << "}, ";
    if (f.gzip.empty()) {
      os << "{}";
    } else {
      os << "{kGzip" << i << ", " << f.gzip.size() << "}";
    }
    os << "},\n";
  }
  os << "};\n\n}  // namespace\n\n"
     << "std::span<const UiAsset> BuiltUiAssets() { return kAssets; }\n\n"
     << "}  // namespace ktune::server::internal\n";

  const std::string text = os.str();
  {
    std::ifstream old(out_path, std::ios::binary);
    std::string previous((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
    if (old && previous == text) return 0;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "ktune_embed_assets: cannot write " << out_path.string() << "\n";
    return 1;
  }
  std::cout << "ktune_embed_assets: " << files.size() << " files, " << raw << " bytes, "
            << compressed << " served gzip\n";
  return 0;
}
