# Finds every external dependency with pkg-config and names the Debian package when one is
# missing, so a fresh machine gets an actionable message instead of a cryptic link error.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
    message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run ./tools/dev test)")
endif()

# tern_require(<prefix> <pkg-config module> <debian package>)
function(tern_require prefix module debpkg)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
    if(NOT ${prefix}_FOUND)
        message(FATAL_ERROR "pkg-config module '${module}' not found: "
                            "apt-get install ${debpkg} (or run ./tools/dev test, which installs it)")
    endif()
    message(STATUS "Found ${module} ${${prefix}_VERSION}")
endfunction()

tern_require(YAML yaml-0.1 libyaml-dev)
tern_require(SQLITE sqlite3 libsqlite3-dev)
tern_require(OPENSSL openssl libssl-dev)
tern_require(ISAL libisal libisal-dev)
tern_require(H2O libh2o-evloop libh2o-evloop-dev)
tern_require(EXPAT expat libexpat1-dev)
tern_require(CURL libcurl libcurl4-openssl-dev)

find_package(Threads REQUIRED)
