// What the demo shop sells and where its customers live: shared by the demo data generator and
// the benchmarks, so both describe the same shop.
#pragma once

#include <array>

namespace coldtrack::app::demo {

struct Place {
  const char* province;
  const char* city;
  const char* district;
};
inline constexpr std::array<Place, 10> kPlaces = {{{"上海市", "上海市", "浦东新区"},
                                                   {"北京市", "北京市", "朝阳区"},
                                                   {"广东省", "广州市", "天河区"},
                                                   {"广东省", "深圳市", "南山区"},
                                                   {"浙江省", "杭州市", "西湖区"},
                                                   {"江苏省", "南京市", "鼓楼区"},
                                                   {"四川省", "成都市", "武侯区"},
                                                   {"湖北省", "武汉市", "洪山区"},
                                                   {"山东省", "青岛市", "市南区"},
                                                   {"福建省", "厦门市", "思明区"}}};

struct Product {
  const char* sku;
  const char* name;
  const char* category;  // frozen | chilled | ambient
  int price_fen;
};
inline constexpr std::array<Product, 10> kProducts = {
    {{"DJ-SX-1KG", "三鲜水饺 1kg", "frozen", 3990},
     {"DJ-ZRBC-1KG", "猪肉白菜水饺 1kg", "frozen", 3590},
     {"HT-XR-500G", "虾仁馄饨 500g", "frozen", 2890},
     {"TY-HZ-400G", "黑芝麻汤圆 400g", "frozen", 1590},
     {"NRW-500G", "潮汕牛肉丸 500g", "frozen", 4990},
     {"XR-500G", "冷冻虾仁 500g", "frozen", 5990},
     {"SN-950ML", "鲜牛奶 950ml", "chilled", 1890},
     {"SN-SN-1KG", "老酸奶 1kg", "chilled", 2290},
     {"LJY-200G", "红油辣椒 200g", "ambient", 1290},
     {"JC-500ML", "饺子醋 500ml", "ambient", 990}}};

// Clearly fake customer names: a surname and a given name drawn independently.
inline constexpr std::array<const char*, 20> kSurnames = {"张", "王", "李", "赵", "刘", "陈", "杨",
                                                          "黄", "周", "吴", "徐", "孙", "马", "朱",
                                                          "胡", "郭", "何", "林", "罗", "高"};
inline constexpr std::array<const char*, 20> kGiven = {"伟", "芳", "娜", "秀英", "敏",   "静", "丽",
                                                       "强", "磊", "军", "洋",   "勇",   "艳", "杰",
                                                       "娟", "涛", "明", "超",   "秀兰", "霞"};

// The carriers the shop ships with, and how their waybill numbers start.
struct CarrierPick {
  const char* code;
  const char* prefix;
};
inline constexpr std::array<CarrierPick, 7> kCarriers = {{{"SF", "SF"},
                                                          {"SF_COLD", "SF"},
                                                          {"JD", "JDV"},
                                                          {"ZTO", "7"},
                                                          {"YTO", "YT"},
                                                          {"JIUYE", "JY"},
                                                          {"EMS", "98"}}};

// The shop's warehouse (the default eta.origin_city).
inline constexpr const char* kOrigin = "上海市";

}  // namespace coldtrack::app::demo
