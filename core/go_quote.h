#pragma once
// Go's %q (strconv.Quote) for the ASCII range, for messages that must read exactly as a Go
// program (Katib, the Kubernetes apiserver) writes them; bytes >= 0x80 are passed through
// (UTF-8 text).

#include <string>
#include <string_view>

namespace ktune::core {

std::string GoQuote(std::string_view s);

}  // namespace ktune::core
