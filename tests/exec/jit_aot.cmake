# Tests of the JIT and AOT engines (included from tests/CMakeLists.txt).
add_executable(lbc_jit_tests exec/jit_codegen_test.cpp)
target_link_libraries(lbc_jit_tests PRIVATE lbc_driver lbc_jit lbc_interp GTest::gtest_main)
target_include_directories(lbc_jit_tests PRIVATE ${PROJECT_SOURCE_DIR}/compiler)
add_test(NAME jit_codegen COMMAND lbc_jit_tests)

# `lbc build` with a runner main in place of the runtime's: the executable must decide as the
# JIT does and must not depend on LLVM or ANTLR.
add_library(lbc_aot_runner_main STATIC exec/aot_runner_main.cpp)
target_link_libraries(lbc_aot_runner_main PRIVATE lbc_runtime_abi)
add_test(NAME aot_build COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/exec/aot_build_test.sh ${LBC_BIN}
                                $<TARGET_FILE:lbc_aot_runner_main>)

# exec_diff over interp, JIT and AOT (see exec/jit_aot_diff.cpp).
add_executable(exec_diff_compiled exec/jit_aot_diff.cpp exec/gen.cpp)
target_link_libraries(exec_diff_compiled PRIVATE lbc_driver_backend)
target_include_directories(exec_diff_compiled PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/exec ${PROJECT_SOURCE_DIR}/compiler)
# The AOT engine's shared objects resolve the ABI helpers against this executable.
set_target_properties(exec_diff_compiled PROPERTIES ENABLE_EXPORTS ON)
add_test(NAME exec_diff_compiled COMMAND exec_diff_compiled --seed 1 --configs 1000 --requests 100)
set_tests_properties(exec_diff_compiled PROPERTIES TIMEOUT 1800)

# The TCP end-to-end suite against built executables is `e2e_tcp_aot` in tests/CMakeLists.txt.
