# Helpers that register tests with ctest.
#
#   tern_unit_test(<name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>])
#       builds tests/<...> into an executable and registers it with label "unit".
#   tern_fuzz_target(<name> SOURCE <fuzz_x.c> LIBS <targets...>)
#       always builds replay_<name> (runs every file of tests/fuzz/corpus/<name>/ through the
#       target without libFuzzer, label "unit;fuzz-replay"); with TERN_FUZZ also builds the
#       libFuzzer binary fuzz_<name>.

function(tern_unit_test name)
    cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${name} ${T_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    target_link_libraries(${name} PRIVATE ${T_LIBS})
    add_test(NAME ${name} COMMAND ${name})
    set(labels unit ${T_LABELS})
    set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 300
        ENVIRONMENT "TERN_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data;TERN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

function(tern_fuzz_target name)
    cmake_parse_arguments(F "" "SOURCE" "LIBS" ${ARGN})
    set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
    add_executable(replay_${name} ${F_SOURCE} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c)
    target_link_libraries(replay_${name} PRIVATE ${F_LIBS})
    add_test(NAME replay_${name} COMMAND replay_${name} ${corpus})
    set_tests_properties(replay_${name} PROPERTIES LABELS "unit;fuzz-replay" TIMEOUT 300)
    if(TERN_FUZZ)
        add_executable(fuzz_${name} ${F_SOURCE})
        target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
        target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    endif()
endfunction()
