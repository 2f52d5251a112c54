# tako_cache: PGXS build of the extension, plus the project's two set-up commands.
#   make && make install      build and install the extension (pg_config on PATH, or PG_CONFIG=...)
#   make installcheck         pg_regress suite against a running server (PGHOST/PGPORT)
#   make test                 every test suite, on temporary clusters it starts itself
#   make demo                 a local cluster in .demo/ with the cache filled and served

EXTENSION  = tako_cache
EXTVERSION = $(shell grep default_version $(EXTENSION).control | sed -e "s/.*'\(.*\)'.*/\1/")
MODULE_big = tako_cache

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

DATA = $(sort $(wildcard sql/install/$(EXTENSION)--*.sql))

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=plpgsql

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
PG_CXXFLAGS = -std=c++17 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden -Wno-register \
              -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcurl -lstdc++

# No LLVM bitcode: JIT inlining of C++ bodies is of no use and needs a matching clang.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS builds C++ with $(CXX); keep the server's C-only warning flags out of it.
override CXXFLAGS := $(filter-out -Wmissing-prototypes -Wdeclaration-after-statement,$(CXXFLAGS))

$(OBJS): $(wildcard src/core/*.hpp src/pg/*.hpp)

.PHONY: test demo unit format
test:
	bash test/run_all.sh

demo:
	bash scripts/demo.sh

unit:
	bash test/suites/unit.sh

format:
	clang-format -i src/core/*.[ch]pp src/pg/*.[ch]pp test/unit/*.cpp test/probe/*.cpp
