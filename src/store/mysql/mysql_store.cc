#include "store/mysql/mysql_store.h"

#include <memory>

#include "store/mysql/engine.h"
#include "store/mysql/migrations.h"

namespace coldtrack::store::mysql {

MysqlStore::MysqlStore(const MysqlOptions& options)
    : SqlStore(std::make_unique<MysqlEngine>(options)) {
  migrate(migrations());
}

}  // namespace coldtrack::store::mysql
