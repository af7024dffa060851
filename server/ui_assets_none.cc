// The UI's files in a binary built without them (cmake -DKTUNE_UI=OFF): none.
#include "server/ui_assets.h"

namespace ktune::server::internal {

std::span<const UiAsset> BuiltUiAssets() { return {}; }

}  // namespace ktune::server::internal
