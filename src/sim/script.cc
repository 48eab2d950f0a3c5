#include "sim/script.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <chrono>

namespace coldtrack::sim {
namespace {

// ---- Data tables (one place each) -------------------------------------------------------------

struct City {
  std::string_view name;       // "上海市"
  std::string_view province;   // for Kuaidi100 areaName
  std::string_view area_code;  // Kuaidi100 areaCode
  std::string_view hub;        // sorting centre
  std::array<std::string_view, 2> branches;
  std::string_view locker;  // smart locker used by the locker scenario
};

constexpr std::array<City, 12> kCities = {{
    {"上海市",
     "上海",
     "CN310000000000",
     "上海青浦转运中心",
     {"浦东新区张江营业点", "闵行区莘庄营业点"},
     "丰巢智能柜（张江高科站）"},
    {"杭州市",
     "浙江",
     "CN330100000000",
     "杭州萧山转运中心",
     {"西湖区文三路营业点", "滨江区长河营业点"},
     "丰巢智能柜（文三路店）"},
    {"北京市",
     "北京",
     "CN110000000000",
     "北京顺义转运中心",
     {"朝阳区望京营业点", "海淀区中关村营业点"},
     "丰巢智能柜（望京SOHO）"},
    {"天津市",
     "天津",
     "CN120000000000",
     "天津武清转运中心",
     {"和平区南京路营业点", "南开区鞍山西道营业点"},
     "丰巢智能柜（南京路站）"},
    {"广州市",
     "广东",
     "CN440100000000",
     "广州白云转运中心",
     {"天河区珠江新城营业点", "越秀区东山口营业点"},
     "丰巢智能柜（珠江新城）"},
    {"深圳市",
     "广东",
     "CN440300000000",
     "深圳宝安转运中心",
     {"南山区科技园营业点", "福田区车公庙营业点"},
     "丰巢智能柜（科技园站）"},
    {"成都市",
     "四川",
     "CN510100000000",
     "成都双流转运中心",
     {"武侯区玉林营业点", "高新区天府三街营业点"},
     "丰巢智能柜（玉林小区）"},
    {"重庆市",
     "重庆",
     "CN500000000000",
     "重庆渝北转运中心",
     {"渝中区解放碑营业点", "江北区观音桥营业点"},
     "丰巢智能柜（观音桥站）"},
    {"武汉市",
     "湖北",
     "CN420100000000",
     "武汉东西湖转运中心",
     {"洪山区光谷营业点", "江汉区新华路营业点"},
     "丰巢智能柜（光谷广场）"},
    {"长沙市",
     "湖南",
     "CN430100000000",
     "长沙望城转运中心",
     {"岳麓区麓谷营业点", "芙蓉区五一大道营业点"},
     "丰巢智能柜（麓谷站）"},
    {"南京市",
     "江苏",
     "CN320100000000",
     "南京江宁转运中心",
     {"鼓楼区湖南路营业点", "江宁区百家湖营业点"},
     "丰巢智能柜（百家湖站）"},
    {"苏州市",
     "江苏",
     "CN320500000000",
     "苏州吴中转运中心",
     {"工业园区金鸡湖营业点", "姑苏区观前街营业点"},
     "丰巢智能柜（金鸡湖站）"},
}};

struct Brand {
  std::string_view code;  // Kdniao ShipperCode or Kuaidi100 com, compared case-insensitively
  std::string_view name;
};

// carrier-codes.md §1; cold-chain brands where the carrier runs one.
constexpr std::array<Brand, 26> kBrands = {{
    {"sf", "顺丰冷运"},
    {"shunfeng", "顺丰冷运"},
    {"shunfenglengyun", "顺丰冷运"},
    {"zto", "中通冷链"},
    {"zhongtong", "中通冷链"},
    {"ztocc", "中通冷链"},
    {"jd", "京东冷链"},
    {"jdky", "京东冷链"},
    {"yto", "圆通速递"},
    {"yuantong", "圆通速递"},
    {"sto", "申通快递"},
    {"shentong", "申通快递"},
    {"yd", "韵达快递"},
    {"yunda", "韵达快递"},
    {"ems", "EMS"},
    {"yzpy", "中国邮政"},
    {"youzhengguonei", "中国邮政"},
    {"jtsd", "极兔速递"},
    {"jtexpress", "极兔速递"},
    {"dbl", "德邦快递"},
    {"debangkuaidi", "德邦快递"},
    {"jiuye", "九曳供应链"},
    {"jiuyescm", "九曳供应链"},
    {"hgll", "黑狗冷链"},
    {"axd", "安鲜达"},
    {"kysy", "跨越速运"},
}};

constexpr std::array<std::string_view, 12> kSurnames = {"王", "李", "张", "刘", "陈", "杨",
                                                        "黄", "赵", "周", "吴", "徐", "孙"};
constexpr std::array<std::string_view, 12> kGivenNames = {"磊", "伟", "芳", "强", "军", "洋",
                                                          "勇", "杰", "涛", "明", "静", "斌"};

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 3600;

// ---- Deterministic randomness -----------------------------------------------------------------

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// splitmix64: a tiny, well-mixed, platform-independent generator.
class Rng {
 public:
  explicit Rng(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform-enough integer in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with_0000(std::string_view n) {
  return n.size() >= 4 && n.substr(n.size() - 4) == "0000";
}

// A cold-chain temperature reading between 2.0 and 7.9 °C.
std::string temperature(Rng& rng) {
  const auto tenths = rng.between(20, 79);
  return fmt::format("{}.{}℃", tenths / 10, tenths % 10);
}

Step at(const City& c, std::int64_t offset_s, std::string context) {
  Step s;
  s.offset_s = offset_s;
  s.context = std::move(context);
  s.location = std::string(c.name);
  s.area_code = std::string(c.area_code);
  s.area_name = c.province == c.name.substr(0, c.province.size())
                    ? std::string(c.name)
                    : fmt::format("{},{}", c.province, c.name);
  return s;
}

void kdn(Step& s, std::string_view state, std::string_view state_ex) {
  s.kdn_state = std::string(state);
  s.kdn_state_ex = std::string(state_ex);
}

void k100(Step& s, std::string_view state, std::string_view status, std::string_view sub,
          std::string_view sub_status) {
  s.k100_state = std::string(state);
  s.k100_status = std::string(status);
  s.k100_sub = std::string(sub);
  s.k100_sub_status = std::string(sub_status);
}

}  // namespace

std::string_view to_string(Scenario s) {
  switch (s) {
    case Scenario::kNoInfo:
      return "no_info";
    case Scenario::kDelivered:
      return "delivered";
    case Scenario::kRejected:
      return "rejected";
    case Scenario::kLockerOverdue:
      return "locker_overdue";
    case Scenario::kUnreachable:
      return "unreachable";
    case Scenario::kDelayed:
      return "delayed";
  }
  return "unknown";
}

std::string_view brand_of(std::string_view provider_carrier) {
  const std::string code = lower(provider_carrier);
  for (const Brand& b : kBrands)
    if (b.code == code) return b.name;
  return "冷链快递";
}

bool k100_terminal(std::string_view base_state) {
  return base_state == "3" || base_state == "4";
}

std::string format_china_time(EpochMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> china{milliseconds{t} + hours{8}};
  const auto day = floor<days>(china);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(china - day)};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

Script make_script(std::string_view provider_carrier, std::string_view waybill_no,
                   std::uint64_t seed) {
  Script script;
  Rng rng(fnv1a(waybill_no, fnv1a(fmt::format("coldtrack-sim:{}", seed))));
  const auto o = static_cast<std::size_t>(rng.next() % kCities.size());
  auto d = static_cast<std::size_t>(rng.next() % (kCities.size() - 1));
  if (d >= o) ++d;  // never the same city
  const City& from = kCities[o];
  const City& to = kCities[d];
  script.origin = std::string(from.name);
  script.destination = std::string(to.name);
  if (ends_with_0000(waybill_no)) {
    script.scenario = Scenario::kNoInfo;
    return script;
  }

  const bool problem = rng.next() % 8 == 0;
  static constexpr std::array<Scenario, 4> kProblems = {
      Scenario::kRejected, Scenario::kLockerOverdue, Scenario::kUnreachable, Scenario::kDelayed};
  script.scenario = problem ? kProblems[rng.next() % kProblems.size()] : Scenario::kDelivered;

  const std::string brand(brand_of(provider_carrier));
  const std::string_view from_branch = from.branches[rng.next() % from.branches.size()];
  const std::string_view to_branch = to.branches[rng.next() % to.branches.size()];
  const std::string courier = fmt::format("{}{}", kSurnames[rng.next() % kSurnames.size()],
                                          kGivenNames[rng.next() % kGivenNames.size()]);
  const std::string phone = fmt::format("1700000{:04}", rng.between(0, 9999));
  std::vector<Step>& steps = script.steps;
  std::int64_t t = 0;

  // 1. Picked up at the origin branch.
  {
    Step s = at(from, t,
                fmt::format("【{}】{} {}已揽收，冷藏箱温度 {}", from.name, brand, from_branch,
                            temperature(rng)));
    kdn(s, "1", "1");
    k100(s, "1", "揽收", "103", "已揽收");
    steps.push_back(std::move(s));
  }
  // 2. Leaves the origin hub on a refrigerated truck.
  t += rng.between(2 * kHour, 4 * kHour) + rng.between(0, 59);
  {
    Step s = at(from, t,
                fmt::format("【{}】快件已离开【{}】，发往【{}】，冷藏车厢温度 {}", from.name,
                            from.hub, to.hub, temperature(rng)));
    kdn(s, "2", "206");
    k100(s, "0", "在途", "1002", "干线");
    steps.push_back(std::move(s));
  }
  // 3. Arrives at the destination hub.
  t += rng.between(4 * kHour, 9 * kHour) + rng.between(0, 59);
  {
    Step s = at(to, t,
                fmt::format("【{}】快件已到达【{}】，冷库暂存，库温 {}", to.name, to.hub,
                            temperature(rng)));
    kdn(s, "2", "204");
    k100(s, "0", "在途", "1001", "到达派件城市");
    steps.push_back(std::move(s));
  }

  const auto out_for_delivery = [&](std::int64_t when) {
    Step s =
        at(to, when,
           fmt::format("【{}】{}快递员 {} 正在派送途中（电话：{}），冷藏保温箱配送，请保持电话畅通",
                       to.name, to_branch, courier, phone));
    kdn(s, "2", "202");
    k100(s, "5", "派件", "5", "派件");
    return s;
  };

  if (script.scenario == Scenario::kDelayed) {
    // 4. Stranded at the hub, then delivered a day later ("signed after a problem").
    t += rng.between(4 * kHour, 8 * kHour);
    Step s = at(to, t,
                fmt::format("【{}】受道路管制影响，冷藏干线延误，快件滞留【{}】，冷库温度 {}，"
                            "恢复后将尽快派送",
                            to.name, to.hub, temperature(rng)));
    kdn(s, "4", "417");
    k100(s, "2", "疑难", "208", "滞留");
    steps.push_back(std::move(s));
    t += rng.between(18 * kHour, 26 * kHour);
    steps.push_back(out_for_delivery(t));
    t += rng.between(1 * kHour, 3 * kHour) + rng.between(0, 59);
    Step signed_step =
        at(to, t,
           fmt::format("【{}】快件已签收（延误后派送），签收人：本人。感谢使用{}", to.name, brand));
    kdn(signed_step, "3", "302");
    k100(signed_step, "3", "签收", "302", "派件异常后签收");
    steps.push_back(std::move(signed_step));
    return script;
  }

  // 4. Out for delivery.
  t += rng.between(3 * kHour, 6 * kHour) + rng.between(0, 59);
  steps.push_back(out_for_delivery(t));

  switch (script.scenario) {
    case Scenario::kDelivered: {
      t += rng.between(1 * kHour, 3 * kHour) + rng.between(0, 59);
      Step s = at(
          to, t,
          fmt::format("【{}】快件已签收，签收人：本人，签收时温度 {}。感谢使用{}，期待再次为您服务",
                      to.name, temperature(rng), brand));
      kdn(s, "3", "301");
      k100(s, "3", "签收", "301", "本人签收");
      steps.push_back(std::move(s));
      break;
    }
    case Scenario::kRejected: {
      t += rng.between(1 * kHour, 3 * kHour);
      Step s =
          at(to, t, fmt::format("【{}】收件人拒收（反馈到货温度异常），快件将退回寄件人", to.name));
      kdn(s, "4", "404");
      k100(s, "14", "拒签", "14", "拒签");
      steps.push_back(std::move(s));
      break;
    }
    case Scenario::kLockerOverdue: {
      t += rng.between(1 * kHour, 2 * kHour);
      Step locker = at(to, t,
                       fmt::format("【{}】快件已放入{}冷藏格口，取件码 {:06}，请及时取件", to.name,
                                   to.locker, rng.between(0, 999999)));
      kdn(locker, "2", "211");
      k100(locker, "5", "派件", "501", "投柜或驿站");
      steps.push_back(std::move(locker));
      t += 18 * kHour + rng.between(30 * kMinute, 3 * kHour);
      Step overdue =
          at(to, t,
             fmt::format("【{}】快件在{}滞留超过18小时未取，冷藏时效即将失效，请尽快取件", to.name,
                         to.locker));
      kdn(overdue, "4", "412");
      k100(overdue, "2", "疑难", "205", "超时未取");
      steps.push_back(std::move(overdue));
      break;
    }
    case Scenario::kUnreachable: {
      t += rng.between(2 * kHour, 4 * kHour);
      Step s = at(to, t,
                  fmt::format("【{}】快递员 {} 多次联系收件人未果（电话无法接通），快件暂存{}冷库",
                              to.name, courier, to_branch));
      kdn(s, "4", "416");
      k100(s, "2", "疑难", "206", "无法联系");
      steps.push_back(std::move(s));
      break;
    }
    default:
      break;
  }
  return script;
}

}  // namespace coldtrack::sim
