#include "db-manager/store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "db-manager/internal/sqlite_store.h"

namespace ktune::db {
namespace {

constexpr char kSupported[] = "supported: sqlite://PATH or a plain file path";

absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("store location sqlite:// names no file");
  }
  if (path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
      std::filesystem::create_directories(parent, error);
      if (error) {
        return absl::UnavailableError(
            absl::StrCat("cannot create directory \"", parent.string(),
                         "\" for the SQLite database: ", error.message()));
      }
    }
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

// A parsed location: the scheme ("sqlite" for a plain path) and what follows `://`.
struct Location {
  std::string scheme;
  std::string rest;
};

absl::StatusOr<Location> ParseLocation(const std::string& location) {
  if (location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("store location is empty; ", kSupported));
  }
  const size_t separator = location.find("://");
  if (separator == std::string::npos) return Location{"sqlite", location};
  return Location{location.substr(0, separator), location.substr(separator + 3)};
}

// The error for a location that is not SQLite. Only the scheme goes into messages: the rest
// may be a DSN with a password.
absl::Status NotSqlite(const std::string& scheme) {
  if (scheme == "mysql") {
    return absl::UnimplementedError(
        "store location mysql://: the MySQL backend comes later; use sqlite://PATH for now");
  }
  return absl::InvalidArgumentError(absl::StrCat("store location has unsupported scheme \"", scheme,
                                                 "://\"; ", kSupported, " (mysql:// comes later)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& location) {
  absl::StatusOr<Location> parsed = ParseLocation(location);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme != "sqlite") return NotSqlite(parsed->scheme);
  return OpenSqlite(parsed->rest);
}

absl::StatusOr<std::string> StoreFilePath(const std::string& location) {
  absl::StatusOr<Location> parsed = ParseLocation(location);
  if (!parsed.ok()) return parsed.status();
  if (parsed->scheme != "sqlite") {
    if (parsed->scheme == "mysql") {
      return absl::InvalidArgumentError(
          "store location mysql:// names no file (a DSN is not a path)");
    }
    return NotSqlite(parsed->scheme);
  }
  if (parsed->rest.empty()) {
    return absl::InvalidArgumentError("store location sqlite:// names no file");
  }
  if (parsed->rest == ":memory:") {
    return absl::InvalidArgumentError(
        "store location :memory: is an in-memory database, not a file");
  }
  return parsed->rest;
}

}  // namespace ktune::db
