// A userlist as the http_auth / http_auth_group fetches check it: built once per program from the
// fetch's second argument (sema serialises the section there) by lbc_rt_args_prepare.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace lbc::rt::detail {

struct UserList {
  struct User {
    std::string name, pass;  // pass: a crypt(3) hash unless insecure
    bool insecure = false;
    std::vector<std::string> groups;
  };
  std::vector<User> users;
};

// Lines "name\tI|C\tpassword\tgroup,group".
UserList* parseUserList(std::string_view data);
void freeUserList(UserList* ul);

}  // namespace lbc::rt::detail
