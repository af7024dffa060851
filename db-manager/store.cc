#include "db-manager/store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "db-manager/sqlite_store.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& location) {
  if (location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("store location is empty; ", kSupported));
  }
  const size_t separator = location.find("://");
  if (separator == std::string::npos) return OpenSqlite(location);
  // Only the scheme goes into messages: the rest may be a DSN with a password.
  const std::string scheme = location.substr(0, separator);
  if (scheme == "sqlite") return OpenSqlite(location.substr(separator + 3));
  if (scheme == "mysql") {
    return absl::UnimplementedError(
        "store location mysql://: the MySQL backend comes later; use sqlite://PATH for now");
  }
  return absl::InvalidArgumentError(absl::StrCat("store location has unsupported scheme \"", scheme,
                                                 "://\"; ", kSupported, " (mysql:// comes later)"));
}

}  // namespace ktune::db
