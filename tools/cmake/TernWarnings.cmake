# Compiler flags shared by every target: warnings, sanitizers, fuzzing instrumentation.
add_compile_options(
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
    -Wimplicit-fallthrough -Wvla -Wpointer-arith -Wundef
    -Werror=implicit-function-declaration -Werror=incompatible-pointer-types
    -fno-strict-aliasing)
if(TERN_WERROR)
    add_compile_options(-Werror)
endif()

if(TERN_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

if(TERN_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "TERN_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
    endif()
    # Every library is instrumented for coverage; only fuzz_* executables link libFuzzer's main.
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()
