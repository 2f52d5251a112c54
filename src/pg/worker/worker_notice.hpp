// The once-per-session WARNING of a session the refresh worker cannot serve (not preloaded, or
// another database): what is missing, and what follows from it.
#pragma once

namespace tako::pg {

void warn_no_worker();

}  // namespace tako::pg
