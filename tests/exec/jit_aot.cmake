# Tests of the JIT and AOT engines (included from tests/CMakeLists.txt).
add_executable(lbc_jit_tests exec/jit_codegen_test.cpp)
target_link_libraries(lbc_jit_tests PRIVATE lbc_driver lbc_jit GTest::gtest_main)
target_include_directories(lbc_jit_tests PRIVATE ${PROJECT_SOURCE_DIR}/compiler)
add_test(NAME jit_codegen COMMAND lbc_jit_tests)
