"""Commercial primary purpose (15 U.S.C. § 7702(2), (17); 16 C.F.R. § 316.3).

Primary purpose is a legal judgement: this detector only sorts messages and gives the
reasons a person will weigh. Each indicator is a span with a category and a weight:

commercial categories (weight per hit; each category adds at most its cap to the score)
  price        "$19.95", "US$ 50", "49.99 USD", "99 cents / min" (2); "per month", "as low as",
               "69.99!" (1)
  discount     "70% off", "save up to $", "free shipping", "lowest prices", "clearance"
  cta          "order now", "click here to order", "call toll-free" (2); "click here" (1)
  pitch        "free trial", "money-back", "work from home", "mortgage", "viagra", "earn money",
               "specially selected", "no prescription", a 900 number ...
  word         everyday selling words ("offer", "deal", "price", "loan"), cap 1
  shop_link    a visible link to a shop, cart, order or product page
  subject      commercial wording in the subject (§ 316.3(a)(2)(i), (a)(3)(i))
  bulk         bulk-mail language: removal instructions, "this is not spam", opt-out wording
  ad_label     the message calls itself an advertisement ("ADV:" in the subject weighs 3)
  image_ad     remote pictures and web links with little or no text (the pictures are unreadable to us)
  proposal     advance-fee "business proposal" language (transfer of funds, next of kin,
               urgent confidential assistance, a late husband's deposit with a security
               company; a large sum next to it); whether soliciting a money transfer is
               promoting "a commercial product or service" is for counsel, so it is at
               most commercial_uncertain
Chinese, Japanese and Korean indicators (元/円/원 amounts, 免费/無料/무료, 折扣/割引/할인,
购买/購入/구매, 报名/회원가입, 广告/광고 ...) match as substrings: those scripts have no spaces.
  adult        adult vocabulary in a message that links somewhere
  link_ad      a short message (800 characters at most) whose point is a web link, with
               some commercial wording
transactional category (§ 7702(17)): order confirmation, shipping notice, receipt,
  invoice, account statement, warranty, recall, safety notice, password reset,
  changed terms; `transactional_at_beginning` says whether it is in the subject or the
  first 600 characters / fifth of the body (§ 316.3(a)(2)(ii)).

Hits on quoted reply lines ("> ...") and in mailing-list or newsletter sponsor blocks, list
footers and signatures do not count: they are not the message's own purpose. Neither does
order-form wording in a conditional or future clause ("if your order is received by 3pm"):
it is a condition of a future sale, not a transaction. Thresholds were tuned on
the 2002 SpamAssassin corpus (tests/test_detector_corpus.py has the figures).

`commercial.status`:
- `commercial`: clear indicators (an amount with a call to action such as "order now", a
  shop link with an amount or discount, a discount with a call to action, an "ADV:"
  subject, or -- in a text of at most 4,000 characters -- three distinct pitches with a
  strong call to action, or an amount, a call to action and two pitches), a score of 7 or
  more over three or more categories, and no transactional content;
  or an established offer (`_established_offer`), with no transactional content: the
  message calls itself an advertisement (subject label, "This is an advertisement", a label
  line at the top such as "Publicidad" or "ADVERTISEMENT - 18+ ONLY") and promotes
  something; or it carries an unsubscribe mechanism (List-Unsubscribe or opt-out wording)
  and makes a priced or discounted offer with a call to act or a shop link; or it has
  strong bulk-mail removal language beside a promotion scoring 7 or more. An offer is
  recognised in the supported languages: a service ("vehicle protection plan", "préstamo"),
  its terms ("$0 down", "low monthly rate", "sin intereses", "statt 799 €") and a way to act
  ("Renew your coverage today", "Extend now", "Solicita tu préstamo ahora", "Jetzt
  entdecken", "J'en profite", "Bestel nu");
- `commercial_uncertain`: commercial indicators that are weaker, or mixed with
  transactional content (a person applies § 316.3(a)(2)/(a)(3)), or an advance-fee
  "business proposal", or a picture advertisement the detector cannot read;
- `transactional`: transactional content and no more than faint commercial wording
  (account security, password, statement and delivery notices included, and what
  credential and parcel phishing imitates: a full mailbox, an account to verify); when
  nothing is offered (no amount, discount, pitch or shop link), the faint wording -- a
  support phone number, "opted out of marketing email" -- is not reported as a reason.
  Strong bulk-mail wording ("this is a one-time mailing") makes it commercial_uncertain;
- `non_commercial`: none of the above (personal notes, list discussion).

A mailing list's moderation request, a delivery failure (bounce) or an abuse report,
sent by a list or mail system (list headers, Auto-Submitted, multipart/report, a
mailer-daemon / -admin / -owner address), is `non_commercial` with a `notice` reason: the
message it holds or quotes is not its own purpose (15 U.S.C. § 7702(2)); only its own text
(copied header lines and the copied message left out) is judged, so an ad dressed as a
bounce is still one.

A political or charitable appeal (two distinct donation phrases: "donate", "chip in",
"501(c)(3)", "paid for by" ...) that names no product or service is `non_commercial`: it
promotes no commercial product or service (15 U.S.C. § 7702(2)(A)).

A reply in a conversation (In-Reply-To / References) or a long text whose selling words are
very sparse is at most `commercial_uncertain`, and without an established score it is
`non_commercial`: quoted or incidental prices in a discussion are not a promotion.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.detectors._text import (
    Scanner,
    TextSource,
    cached_spans,
    found_spans,
    message_links,
    picture_sources,
    span,
    words_pattern,
)
from checker.detectors.ad_label import body_labels, subject_labels
from checker.detectors.adult import patterns as adult_patterns
from checker.detectors.opt_out import OPT_OUT_SCANNERS
from checker.fields import register

# Indicators: (category, weight, matcher). A matcher is `_rx(triggers, regex)` -- every
# match must contain one of the space-separated trigger literals, see `_text.Scanner` -- or
# `_words(...)`, whole words / phrases (spaces match any whitespace). A branch whose only
# literal is a common word ("for", "our") goes in a small pattern of its own, so the big
# patterns run only near rare words. Weight is how strongly one hit suggests promotion.


def _rx(triggers: str, regex: str) -> Scanner:
    return Scanner(regex, triggers.split())


def _words(words: str) -> Scanner:
    return words_pattern(w.replace("_", " ") for w in words.split())


# Chinese, Japanese and Korean have no spaces between words, so these match as substrings
# (a whole-word pattern would never match inside a CJK sentence).
_CJK_SELLING = ("대출 상품 판매 가격 신청 회원 販売 商品 価格 お申し込み 促销 促銷 产品 產品 价格 價格 "
                "订购 訂購 代理 通販 特典 格安 在庫")
# "Free", "advertisement", "get rich", "make money", "start a business", "franchise".
_CJK_PITCH = ("免费 免費 無料 무료 送料無料 广告 廣告 広告 광고 致富 赚钱 賺錢 赚大钱 賺大錢 创业 創業 批发 批發 "
              "商机 商機 加盟 招商 돈벌기 부업")
# "Discount", "special price", "sale".
_CJK_DISCOUNT = "할인 特价 特價 優惠 优惠 折扣 割引 세일 特賣 特卖 打折 セール 大減價 大减价"
# "Sign up", "order", "buy", "click", "visit our website", "call now".
_CJK_CTA = ("주문 구매 회원가입 클릭 購入 注文 申込 申し込み 订购 訂購 購買 购买 报名 報名 点击 點擊 "
            "访问我们 訪問我們 浏览我们 瀏覽我們 请访问 請訪問 索取 来电 來電")

COMMERCIAL: list[tuple[str, int, Scanner]] = [
    # "$1" alone is more often a shell variable than a price: single digits need cents.
    ("price", 2, _rx("$", r"(?:US\s?|NT|C|A|HK)?\$\s?(?:\d{1,3}(?:,\d{3})+|[1-9]\d{1,2}|\d)"
                          r"(?:\.\d{2})?(?![\d.,]?\d)(?<!\$\d)(?<!\$\s\d)")),
    ("price", 2, _rx("usd dollar eur tl rmb yuan € £ ¥ ￥ ₩ 원 円 元",
                     r"\b\d{1,3}(?:[,.]\d{3})*(?:\.\d{2})?\s?(?:USD|dollars|EUR|euros?|TL|RMB|yuan)\b"
                     r"|[€£¥￥₩]\s?\d+|\b\d{1,4}(?:[.,]\d{2})?\s?€"
                     # CJK amounts: "2萬元", "1,980円", "5만원" (no word boundary after: no spaces).
                     r"|\d[\d,.]*\s?[万萬千百만천]?\s?(?:원|円|元)")),
    # A charge per minute is the price of a phone service: "99 cents / min", "1,86 Eu/Min".
    ("price", 2, _rx("min", r"\b\d{1,3}(?:[.,]\d{1,2})?\s?(?:cents?|¢|€|eu(?:ro)?s?|usd|p)\s?/\s?min(?:ute)?\b"
                          r"|\b\d{1,2}[.,]\d{2}\s?(?:€|eu(?:ro)?s?)?\s?/\s?min\b")),
    # "Office 2000 69.99!": shop prices end in .99 / .95 even without a currency sign.
    ("price", 1, _rx(".99 .95", r"(?<![\d.,])\d{1,4}\.(?:99|95)(?![\d.,]?\d)(?!\s*(?:%|percent|per\s?cent))")),
    ("price", 1, _rx("price only low little money accepted per",
                     r"\b(?:low|great|best)\s+prices?\b|\bonly\s+\$|\bfor\s+(?:as\s+)?(?:low|little)\s+as\b"
                     r"|\bas\s+low\s+as\b|\bmoney\s+order\b|\bper\s+(?:month|year|week|bottle|unit|day)\b"
                     r"|\b(?:visa|mastercard|amex|credit\s+cards?)\s+accepted\b")),
    ("discount", 2, _rx("% save discount saving sale deal shipping lowest half wholesale below retail "
                        "closeout close-out liquidation clearance inventory",
                        r"\b\d{1,2}\s?%\s?(?:off|discount|savings?)\b"
                        r"|\bsave\s+(?:up\s+to\s+|over\s+)?\$?\d[\d,.]*\s?%?"
                        r"|\b(?:huge|big|special|exclusive|limited[\s-]time)\s+(?:discount|savings|sale)s?\b"
                        # "no big deal" is an idiom and "an exclusive deal" between firms is news.
                        r"|\b(?:special|limited[\s-]time)\s+deals?\b"
                        r"|\b(?:free|no)\s+shipping\b|\blowest\s+(?:\w+\s+)?(?:prices?|rates?|costs?)\b"
                        r"|\b(?:closeout|close-out|liquidation|clearance|inventory)\s+sale\b"
                        r"|\bdiscount(?:ed)?\s+(?:prices?|rates?|software|drugs|pharmacy)\b"
                        r"|\bhalf\s+price\b|\bwholesale\s+prices?\b"
                        r"|\bbelow\s+(?:wholesale|retail|cost)\b|\bnever\s+pay\s+retail\b")),
    ("discount", 2, _words("clearance indirim descuento desconto rabais")),
    ("discount", 2, _rx(_CJK_DISCOUNT, "|".join(_CJK_DISCOUNT.split()))),
    ("discount", 2, _rx("buy for", r"\bbuy\s+\w+\s+get\b|\b2\s+for\s+1\b")),
    ("cta", 2, _rx("now today online immediately while",
                   r"\b(?:order|buy|shop|purchase|subscribe|apply|register|enroll|sign\s+up|call|act|"
                   r"download|join|invest|reserve|book|try|start|respond|reply)\s+(?:now|today|online"
                   r"|immediately|while)\b")),
    ("cta", 2, _rx("click", r"\bclick\s+(?:here|below|(?:on\s+)?(?:the|this)\s+link)\s+(?:to|and|for|now)\b")),
    ("cta", 2, _rx("cart basket order", r"\b(?:add\s+to\s+(?:cart|basket)|place\s+your\s+order|order\s+form"
                                        r"|to\s+order|order\s+(?:yours|your\s+(?:copy|supply|kit|free)))\b")),
    ("cta", 2, _rx("call dial", r"\b(?:call|dial)\s+(?:toll[\s-]free|us\s+(?:now|today|at))\b")),
    ("cta", 2, _rx("site store shop", r"\b(?:visit|go\s+to)\s+(?:our\s+)?(?:web\s?site|online\s+store|shop)\b")),
    # "Join our site today", "sign up for a free account now" (a few words between).
    ("cta", 1, _rx("join enter sign subscribe register",
                   r"\b(?:join|enter|sign\s+up|subscribe|register)\s+(?:[\w\-]+\s+){1,3}?(?:now|today)\b")),
    ("cta", 2, _rx("don hurry limited only", r"\bdon'?t\s+(?:miss|wait|delay)\b|\blimited\s+time\s+only\b|\bhurry\b"
                                              r"|(?m:\bthis\s+(?:week|weekend)\s+only\s*(?:[!.]|$))")),
    ("cta", 2, _rx("free instant information fill advantage started",
                   r"\b(?:request|get|claim)\s+(?:a|your)\s+(?:free|instant)\b"
                   r"|\bfill\s+out\s+the\s+(?:form|information)\b|\btake\s+advantage\s+of\b"
                   r"|\bget\s+started\s+(?:now|today)\b")),
    ("cta", 2, _rx(_CJK_CTA, "|".join(_CJK_CTA.split()))),
    ("cta", 2, _rx("신청 ziyaret arayiniz arayınız",
                   r"지금\s*신청|ziyaret\s+ediniz|arayiniz|arayınız")),
    ("cta", 2, _rx("compre comprar ahora kaufen bestellen achetez commandez compra",
                   r"\b(?:compre|comprar?|compra)\s+(?:ahora|ya|hoy|agora|j[áa])\b|\bjetzt\s+(?:kaufen|bestellen)\b"
                   r"|\bbestellen\s+sie\b|\b(?:achetez|commandez)(?:-le)?\s+(?:maintenant|d[èe]s\s+maintenant)\b")),
    # Acting on an offer of a service: "Renew your coverage today", "Extend now", "Lock in
    # your rate today", "Claim your discount now", "Upgrade today".
    ("cta", 2, _rx("renew extend upgrade activate claim redeem unlock lock grab switch",
                   r"\b(?:renew|extend|upgrade|activate|claim|redeem|unlock|lock\s+in|grab|switch)"
                   r"(?:\s+(?:your|my|the|this|our|a)?\s*[\w-]+){0,2}?\s+(?:now|today)\b")),
    # The same in the other languages of modern mail: "Solicita tu préstamo ahora", "Acquista
    # ora", "Jetzt entdecken", "J'en profite", "Bestel nu", "Comprar agora".
    ("cta", 2, _rx("solicit pide consigue contrat reserv aprovech llam acquist ordin scopri approfitt jetzt "
                   "profit découvr decouvr command bestel koop boek bekijk aproveit garant peça peca",
                   r"\b(?:solicita|pide|consigue|contrata|reserva|aprovecha|llama|compra|acquista|ordina|scopri"
                   r"|approfitta|aproveite|garanta|pe[çc]a|bestel|koop|boek)(?:\s+(?:tu|su|el|la|los|las|il|lo|la|"
                   r"o|a|os|as|je|de|het|uw)?\s*[\w\u00c0-\u024f-]+){0,2}?\s+(?:ahora|hoy|ya|ora|subito|oggi|agora|j[áa]"
                   r"|hoje|nu|vandaag|direct)\b"
                   r"|\bjetzt\s+(?:entdecken|sichern|zugreifen|shoppen|kaufen|bestellen|anmelden|buchen|testen)\b"
                   r"|\bj'en\s+profite\b|\bprofitez[-\s]en\b|\bje\s+(?:d[ée]couvre|commande|r[ée]serve)\b"
                   r"|\bbekijk\s+(?:de|alle|onze)\s+(?:deals|aanbiedingen|acties)\b")),
    # Terms of an offer: "$0 down", "0% APR", "low monthly rate", "sin intereses", "TAE 0 %".
    ("price", 2, _rx("$0 money apr financing monthly intereses interessi zinsen juros tae",
                     r"\$0\s+(?:down|up[\s-]?front)\b|\bno\s+money\s+down\b|\b0\s?%\s+(?:apr|interest|financing)\b"
                     r"|\blow\s+monthly\s+(?:rates?|payments?|premiums?)\b|\bsin\s+intereses\b"
                     r"|\bsenza\s+interessi\b|\bohne\s+zinsen\b|\bsem\s+juros\b|\btae\s+\d")),
    # Services sold to consumers by modern campaigns: vehicle service contracts, payday
    # loans, final-expense insurance, solar leases.
    ("pitch", 1, _rx("extended vehicle protection roadside coverage warranty labor labour",
                     r"\bextended\s+(?:warranty|coverage|auto\s+warranty)\b|\bvehicle\s+(?:service\s+contract"
                     r"|protection)\b|\bprotection\s+plans?\b|\broadside\s+assistance\b"
                     r"|\b(?:parts|repairs?)\s+and\s+labou?r\b|\b(?:manufacturer|factory)\s+(?:coverage|warranty)"
                     r"\s+(?:has\s+|is\s+(?:about\s+to\s+|set\s+to\s+)?)?expir")),
    ("pitch", 1, _words("préstamo préstamos minicrédito minicréditos prestamo prestamos "
                        "empréstimo empréstimos prestito prestiti kredit sofortkredit")),
    ("pitch", 1, _rx("sin sem senza aval papeleo ohne schufa", r"\bsin\s+(?:aval|papeleo|n[óo]mina)\b"
                     r"|\bsem\s+fiador\b|\bohne\s+schufa\b|\bcr[ée]dito\s+r[áa]pido\b|\bdinero\s+r[áa]pido\b")),
    # Discounts and free delivery in the other languages: "Rabatt", "korting", "sconto",
    # "statt 799 €", "au lieu de 259 €", "envío gratis", "livraison offerte".
    ("discount", 2, _words("rabatt rabatte korting sconto sconti soldes rebajas saldi promoção")),
    ("discount", 2, _rx("statt lieu invece van envío envio portes livraison versand spedizione verzending bezorging",
                        r"\b(?:statt|anstatt)\s+(?:\d|€)|\bau\s+lieu\s+de\s+\d|\binvece\s+di\s+(?:\d|€)"
                        r"|\bvan\s+€\s?\d[\d.,]*\s+voor\b"
                        r"|\benv[íi]o\s+gratis\b|\bportes\s+gr[áa]tis\b|\blivraison\s+(?:offerte|gratuite)\b"
                        r"|\bversandkostenfrei\b|\bkostenloser\s+versand\b|\bspedizione\s+gratuita\b"
                        r"|\bgratis\s+(?:verzending|bezorging)\b|\bfrete\s+gr[áa]tis\b")),
    ("cta", 1, _rx("information", r"\bfor\s+more\s+information\b")),
    # "Click here" and "no longer receive" in the other languages of the trap mailboxes.
    ("cta", 1, _rx("cliquez clic klicken klay clique",
                   r"\bcliquez\s+ici\b|\bhaga\s+clic\b|\bklicken\s+sie\s+hier\b|\bt[ıi]klay[ıi]n\b"
                   r"|\bclique\s+aqui\b")),
    ("cta", 2, _rx("cadastre inscreva inscrivez inscr strese anmelden",
                   r"\b(?:cadastre-se|inscreva-se|inscrivez-vous|inscr[íi]bete|reg[íi]strese|jetzt\s+anmelden)"
                   r"\s+(?:agora|maintenant|ahora|ya|hoy|gratis|j[áa])\b")),
    ("bulk", 2, _rx("recevoir receber recibir erhalten",
                    r"\bne\s+(?:souhaitez|d[ée]sirez|voulez)\s+plus\s+recevoir\b|\bpour\s+ne\s+plus\s+recevoir\b"
                    r"|\bn[ãa]o\s+(?:deseja|quiser|quer)\s+(?:mais\s+)?receber\b|\bno\s+(?:desea|quiere)\s+"
                    r"(?:seguir\s+)?recibir\b|\bnicht\s+mehr\s+erhalten\b")),
    ("cta", 1, _rx("click visit act", r"\bclick\s+here\b|\b(?:please\s+)?visit\s+(?:us\s+at\s+)?(?:https?://|www\.)"
                                      r"|\bact\s+fast\b|\bact\s+now\b")),
    ("cta", 1, _rx("8", r"\bcall\s+(?:1[\s\-.]?)?\(?8(?:00|88|77|66)\)?"
                        r"|\b1[\s\-.]\(?8(?:00|88|77|66)\)?[\s\-.]\w{3}[\s\-.]\w{4}\b")),
    ("pitch", 1, _rx("free money risk obligation guaranteed increase income earn freedom opportunity "
                     "refinanc approved debt credit merchant interest rate insurance weight lose "
                     "stock invest satisfaction brand selling customer grant bonus hair aging time competitive "
                     "offer deal sample member make",
                     r"\bfree\s+(?:trial|quote|gift|consultation|sample|report|info(?:rmation)?|"
                     r"brochure|membership|software|money|cash|grants?|tour|pics|preview|access|bonus|"
                     r"evaluation|estimate|catalog|instant)\b"
                     r"|\bmoney[\s-]back\b|\brisk[\s-]free\b|\bno\s+obligation\b|\b100%\s+(?:guaranteed|free)\b"
                     r"|\bincrease\s+(?:your|its)\s+(?:size|length|penis)\b"
                     r"|\bextra\s+income\b|\b(?:earn|make)\s+(?:up\s+to\s+|over\s+)?\$\s?\d|\bfinancial\s+freedom\b"
                     r"|\bbusiness\s+opportunity\b|\brefinanc\w*|\bpre[\s-]?approved\b"
                     r"|\bdebt\s+(?:consolidation|relief|free)\b|\bbad\s+credit\b|\bno\s+credit\s+check"
                     r"|\bcredit\s+(?:card\s+(?:offer|debt)|report|repair|rating)\b|\bmerchant\s+account"
                     r"|\blow\s+(?:interest|rates?)\b|\binsurance\s+(?:quotes?|policy|rates)\b"
                     r"|\bweight\s+loss\b|\blose\s+(?:weight|\d+\s+(?:lbs|pounds))\b"
                     r"|\bstock\s+(?:alert|pick|profile)\b|\binvestment\s+opportunity\b"
                     r"|\bsatisfaction\s+guaranteed\b|\bbrand[\s-]new\b|\bbest[\s-]selling\b"
                     r"|\bcustomers?\s+(?:base|list)\b|\bgovernment\s+grants?\b|\bsign[\s-]on\s+bonus\b"
                     r"|\bhair\s+loss\b|\banti[\s-]aging\b|\b(?:special|exclusive|limited)\s+offer\b"
                     r"|\ball[\s-]time\s+lows?\b|\bcompetitive\s+(?:rates?|prices?)\b"
                     r"|\bbest\s+deals?\b|\bsample\s+(?:pics|movies|videos)\b|\bmembers?\s+area\b")),
    ("pitch", 1, _words("mortgage viagra cialis pharmacy prescription prescriptions herbal "
                        "supplement supplements casino investor investors guaranteed cheap cheapest "
                        "affordable enlarge* penis pill pills toner cartridge cartridges timeshare cruise "
                        "wholesale distributor distributors")),
    ("pitch", 1, _rx("our we make work home bulk mail live",
                     r"\bour\s+(?:products?|services?|company\s+offers|prices|customers|clients|program)\b"
                     r"|\bwe\s+(?:offer|sell|provide|specialize|are\s+(?:offering|selling))\b"
                     r"|\bwork(?:ing)?\s+(?:from|at|form)\s+home\b|\bhome[\s-]based\s+business\b"
                     r"|\bmake\s+(?:a\s+)?(?:couple\s+|few\s+)?(?:of\s+)?(?:\w+\s+)?(?:thousand|million|grand)\b"
                     r"|\bbulk\s+e-?mail|\be-?mail\s+(?:addresses|marketing|lists?)\b|\blive\s+(?:cams?|shows?)\b")),
    # Money-making and own-business pitches: "make some extra money", "earn a staggering
    # income from the comfort of your own home", "be your own boss".
    ("pitch", 1, _rx("make earn comfort yourself own boss",
                     r"\b(?:make|earn)\s+(?:some\s+|big\s+|more\s+|extra\s+|real\s+|serious\s+|quick\s+)?"
                     r"(?:money|cash)\b|\b(?:make|earn)\s+(?:an?\s+)?(?:\w+\s+)?(?:income|living)\s+(?:from|at|with|in)\b"
                     r"|\bcomfort\s+of\s+your\s+(?:own\s+)?home\b|\bbusiness\s+for\s+yourself\b"
                     r"|\bstart\s+your\s+own\s+(?:\w+\s+)?business\b|\bbe\s+your\s+own\s+boss\b")),
    # Finance offers: business funding, lower mortgage payments.
    ("pitch", 1, _rx("capital unsecured payments",
                     r"\bworking\s+capital\b|\bunsecured\s+(?:loans?|basis|credit|financing|funding)\b"
                     r"|\blower\s+(?:your\s+)?(?:house\s+|mortgage\s+|monthly\s+|car\s+)?payments\b")),
    # Prize promotions: "you have been specially selected", "giveaway", "vacation package".
    ("pitch", 1, _rx("selected giveaway give-away package win",
                     r"\b(?:specially|specifically|personally)\s+selected\b|\bgive-?aways?\b"
                     r"|\b(?:vacation|holiday|travel)\s+package\b|\b(?:register|enter)\s+(?:now\s+)?to\s+win\b")),
    # Pills without a doctor: "no prescription required", "doctor office visits not required".
    ("pitch", 1, _rx("prescription perscription doctor diet drugstore pharmacy meds",
                     r"\b(?:no|without\s+(?:a\s+)?)\s*(?:prior\s+)?prescription\b|\bperscriptions?\b"
                     r"|\bdoctor(?:'?s)?\s+(?:office\s+)?visits?\s+(?:are\s+)?not\s+(?:required|needed)\b"
                     r"|\bdiet\s+(?:aids?|pills?)\b|\b(?:online\s+)?drugstore\b|\bonline\s+pharmacy\b"
                     r"|\b(?:cheap|discount|generic)\s+meds\b")),
    # A premium-rate number: calling it is itself the paid service.
    ("pitch", 1, _rx("900 976", r"\b(?:1[\s.-])?\(?(?:900|976)\)?[\s.-]\d{3}[\s.-]\d{4}\b")),
    ("pitch", 1, _rx("interested", r"\b(?:may|might|would)\s+be\s+interested\s+in\s+our\b")),
    # Selling advertising itself: "promote your products", "promote your business".
    ("pitch", 1, _rx("promote", r"\bpromote\s+your\s+(?:products?|services?|business|company|web\s?site)\b")),
    # Enhancement products: "penis size", "without surgery".
    ("pitch", 1, _rx("penis penile without",
                     r"\b(?:penis|penile)\s+(?:size|enlargement|length|width|girth)\b"
                     r"|\bwithout\s+(?:surgery|pumps|dieting|a\s+prescription)\b")),
    ("pitch", 1, _rx("free", r"(?-i:\bFREE\b)")),
    ("pitch", 1, _rx(_CJK_PITCH, "|".join(_CJK_PITCH.split()))),
    ("pitch", 1, _rx("product proud introduce supply manufacture export distributor dealer diploma "
                     "degree wanted catalog produces distributes supplies sells exports offers",
                     r"\bnew\s+products?\b|\bproud\s+to\s+(?:announce|introduce|offer|present)\b"
                     r"|\bintroduce\s+(?:you\s+to\s+)?our\s+(?:company|products?|services?|new)\b"
                     r"|\bwe\s+(?:supply|manufacture|export|are\s+(?:a\s+)?(?:leading\s+)?(?:manufacturer|supplier|"
                     r"distributor|exporter))\b|\b(?:distributors?|dealers?|resellers?|agents?)\s+wanted\b"
                     r"|\b(?:university\s+)?diplomas?\b|\b(?:bachelors?|masters?|mba|doctorate)\s+degrees?\b"
                     r"|\bour\s+(?:new\s+)?catalog(?:ue)?\b"
                     r"|\bour\s+(?:company|factory|group)\s+(?:produces|manufactures|distributes|supplies|sells"
                     r"|exports|offers)\b")),
    ("pitch", 1, _rx("cost charge", r"\bat\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b"
                                    r"|\bfree\s+of\s+charge\b")),
    # Everyday selling words: one of them says little, so the category adds at most 1.
    ("word", 1, _words("credit_card credit_cards loan loans insurance quote quotes saving savings "
                       "deal deals offer offers bonus price prices purchase sale profit profits "
                       "income opportunity marketing vacation leads")),
    ("word", 1, _words("gratis grátis gratuit kostenlos oferta promoción promocion promoção promocao "
                       "offre prix geld_verdienen angebot preis ganhe_dinheiro produtos "
                       "vendas cadastre-se precio dinero haga_clic ücretsiz reklam")),
    # Russian: "price", "discount", "free", "order", "buy", "money".
    ("word", 1, _rx("цен стоимост деньг доход", r"\b(?:цен[аыу]|стоимость|деньги|доход)\b")),
    ("discount", 2, _rx("скидк", r"\bскидк[аиу]\b")),
    ("pitch", 1, _rx("бесплатн", r"\bбесплатн\w*")),
    ("cta", 2, _rx("закаж заказ купит", r"\b(?:закажите|заказать|купить|купите)\b")),
    ("word", 1, _rx("fiyat satış sipariş " + _CJK_SELLING,
                    r"\bfiyat|\bsatış|\bsipariş|" + "|".join(_CJK_SELLING.split()))),
    ("bulk", 2, _rx("spam unsolicited list time 1618 301 removal removed receiv address opted "
                    "agreed mailing remove never unsubscribe opt",
                    r"\bthis\s+(?:e-?mail|message)\s+is\s+(?:not|never)\s+(?:spam|unsolicited)\b"
                    r"|\bthis\s+is\s+not\s+(?:spam|unsolicited)\b|\bnot\s+(?:a\s+)?spam\b"
                    r"|\b(?:purchased|opt[\s-]?in|rented|double\s+opt[\s-]?in)\s+(?:e-?mail\s+)?list\b"
                    r"|\bone[\s-]time\s+(?:e-?mail(?:ing)?|mailing|message)\b"
                    r"|\b(?:S\.?|Senate\s+Bill|Bill)\s*1618\b|\bsection\s+301\b"
                    r"|\bremoval\s+instructions\b|\bto\s+be\s+removed\s+from\s+(?:our|this|the|any)\b"
                    r"|\byou\s+(?:are\s+)?receiv(?:ed|ing)\s+this\s+(?:e-?mail|message|mailing|offer)\b"
                    r"|\byour\s+e-?mail\s+address\s+(?:was|has\s+been)\s+(?:obtained|submitted|added)"
                    r"|\bopted[\s-]in\b|\bagreed\s+to\s+receive\b|\bspecial\s+mailings?\b"
                    r"|\bremove\s+(?:you|your)\b|\bwill\s+not\s+receive\s+(?:any\s+)?(?:further|future)"
                    r"|\bnever\s+receive\s+another\b"
                    r"|\bunsubscribe\s+(?:from\s+)?(?:our|this)\s+(?:mailing\s+)?list\b"
                    r"|\bremove\s+yourself\b"
                    r"|\bremoved\s+from\s+(?:our|this|the|future)\s+(?:\w+\s+)?(?:list|mailings?)\b"
                    r"|\bto\s+opt[\s-]?out\b|\bwith\s+(?:the\s+word\s+)?\W?remove\W?\s+in\s+the\s+subject")),
    ("proposal", 2, _rx("transfer business kin foreign confidence million % beneficiary confidential",
                        r"\btransfer\s+(?:of\s+)?(?:the\s+)?(?:sum|funds?|money)\b|\bbusiness\s+(?:proposal"
                        r"|transaction|relationship|partner)\b|\bnext\s+of\s+kin\b|\bforeign\s+(?:partner"
                        r"|account)\b|\bstrictest\s+confidence\b|\b(?:\d+(?:\.\d+)?|fifty|twenty|ten)\s+"
                        r"million\s+(?:united\s+states\s+)?(?:us\s+)?dollars\b|\b\d{1,2}\s?%\s+(?:of\s+the\s+"
                        r"(?:total\s+)?(?:sum|fund|money)|for\s+you)\b|\bbeneficiary\b"
                        r"|\bconfidential\s+(?:business|transaction)\b")),
    # The rest of the advance-fee letter: a stranger's urgent, confidential request to move
    # or receive money. One of these says little; several make the pattern (STRONG_ALONE).
    ("proposal", 1, _rx("assistance help cooperation partnership confidential urgent",
                        r"\b(?:urgent|confidential)\s+(?:business\s+)?(?:assistance|help|request|proposal"
                        r"|cooperation|matter)\b|\b(?:seek|solicit|request)(?:ing)?\s+(?:for\s+)?your\s+"
                        r"(?:kind\s+)?(?:assistance|help|cooperation|partnership|consent)\b"
                        r"|\bvery\s+confidential\b")),
    ("proposal", 1, _rx("account transfer deposit security fund consignment trunk",
                        r"\b(?:your|foreign|overseas|offshore)\s+bank\s+account\b"
                        r"|\b(?:foreign|overseas|offshore)\s+account\b|\binto\s+your\s+account\b"
                        r"|\btransfer(?:red|ring)?\s+(?:this|these|the)\s+(?:sum|funds?|money|amount)\b"
                        r"|\bdeposit(?:ed)?\s+(?:it\s+)?(?:with|in)\s+a\s+(?:private\s+)?(?:security|finance|"
                        r"financial|bank)\b|\bsecurity\s+(?:company|firm|vault)\b|\b(?:the|this)\s+fund\b"
                        r"|\bconsignment\b|\bmetal\s+trunks?\b|\bdiplomatic\s+(?:cover|courier)\b")),
    ("proposal", 1, _rx("late husband father president deceased inheritance lottery award winning claim",
                        r"\b(?:my\s+)?late\s+(?:husband|father|president|client)\b|\bdeceased\b"
                        r"|\binheritance\b|\blottery\b|\baward\s+notification\b"
                        r"|\bwinning\s+(?:number|ticket|notification)\b|\bclaims?\s+(?:agent|officer)\b")),
    # Opt-out wording outside a mailing list's footer is a sign of bulk mail.
    *[("bulk", 1, scanner) for scanner in OPT_OUT_SCANNERS],
]
# A request for donations -- political or charitable -- promotes no commercial product or
# service (15 U.S.C. § 7702(2)(A)): evidence against commercial purpose.
DONATION: list[tuple[str, int, Scanner]] = [
    # Not "contributions" or "tax deductible": pension and insurance ads say those too.
    ("donation", 1, _rx("donat chip give 501 profit paid charit",
                        r"\bdonat(?:e|es|ed|ing|ion|ions)\b|\bchip\s+in\b"
                        r"|\bgive\s+(?:today|now|generously|what\s+you\s+can)\b"
                        r"|\b501\s?\(c\)\s?\(3\)|\bnon-?profit\b|\bpaid\s+for\s+by\b|\bcharit(?:y|able)\b")),
]
TRANSACTIONAL: list[tuple[str, int, Scanner]] = [
    ("transactional", 2, _rx(
        "order thank shipped tracking receipt invoice account statement payment warranty recall "
        "safety password terms subscription delivery benefit",
        r"\border\s+(?:confirmation|number|no\.?|#|status|details)\b|\byour\s+order\s+(?:has|was|is|#)"
        r"|\bthank\s+you\s+for\s+(?:your\s+)?(?:order|purchase|payment)\b"
        r"|\b(?:has|have)\s+(?:been\s+)?shipped\b"
        r"|\btracking\s+(?:number|no\.?|#)|\breceipt\s+(?:for|#|number)|\binvoice\s+(?:#|number|no\.?|date)"
        r"|\baccount\s+(?:statement|summary|balance)\b|\b(?:your|monthly)\s+statement\s+(?:is|for)\b"
        r"|\bpayment\s+(?:received|confirmation|due|of\s+\$)|\bwarranty\s+(?:information|registration|claim)"
        r"|\bproduct\s+recall\b|\brecall\s+notice\b|\bsafety\s+(?:notice|recall|information)\b"
        r"|\bpassword\s+(?:reset|change|has\s+been)\b|\bchanges?\s+to\s+(?:our|the|your)\s+terms\b"
        r"|\bterms\s+(?:of\s+service|and\s+conditions)\s+(?:have|has)\s+changed\b"
        r"|\byour\s+subscription\s+(?:has|will|is)\b|\bdelivery\s+(?:confirmation|notice|date)\b"
        r"|\bbenefits?\s+(?:statement|enrollment\s+confirmation)\b")),
    # Account security and service notices (§ 7702(17)(A)(iii), (v)): "new sign-in to your
    # account", "reset your password", "your statement is ready", "account ending in 4821".
    ("transactional", 2, _rx(
        "sign-in sign login log security verification one-time passcode password statement ending "
        "service",
        r"\bnew\s+(?:sign[\s-]?in|log[\s-]?in|device)\s+(?:to|on|from|detected)\b"
        r"|\b(?:sign[\s-]?in|log[\s-]?in)\s+(?:attempt|activity|alert)\b"
        r"|\bsecurity\s+(?:alert|notice|code|notification)\b|\bverification\s+code\b"
        r"|\bone[\s-]time\s+(?:code|passcode|password|pin)\b"
        r"|\b(?:reset|change)\s+(?:your|the)\s+password\b|\bpassword\s+for\s+your\b"
        r"|\b(?:your\s+)?(?:\w+\s+)?statement\s+(?:is\s+(?:now\s+)?(?:ready|available))\b"
        r"|\bstatement\s+period\b|\baccount\s+ending\s+in\b"
        r"|\bservice\s+(?:e-?mail|message)\s+(?:about|concerning|regarding)\s+your\b")),
    # What credential and parcel phishing imitates (transactional in appearance): mailbox
    # quota, account verification or suspension, failed parcel delivery.
    ("transactional", 2, _rx(
        "mailbox storage quota verify account package parcel shipment redelivery",
        r"\bmailbox\s+(?:is\s+(?:almost\s+)?full|storage|quota|has\s+reached)\b|\bstorage\s+quota\b"
        r"|\bverify\s+your\s+(?:identity|account|e-?mail\s+account)\b"
        r"|\baccess\s+to\s+your\s+account\s+has\s+been\s+(?:temporarily\s+)?(?:limited|restricted|suspended)\b"
        r"|\byour\s+account\s+(?:has\s+been|will\s+be)\s+(?:temporarily\s+)?(?:suspended|limited|locked|closed)\b"
        r"|\b(?:package|parcel|shipment)\s+could\s+not\s+be\s+delivered\b|\bschedule\s+(?:a\s+)?redelivery\b")),
]
_SHOP_URL = re.compile(
    r"(?:/|\b)(?:shop|store|cart|basket|checkout|order|buy|purchase|product|catalog|pricing|"
    r"deals?|offer|sale|specials?)(?:[/._\-?=]|\b)",
    re.IGNORECASE,
)

# How far into the visible text transactional content still counts as "at the beginning"
# (16 C.F.R. § 316.3(a)(2)(ii)): the first 600 characters or the first fifth, if larger.
BEGINNING_CHARS = 600
# Distinct hits kept per category, and the most one category adds to the score: a page
# of prices is one strong reason, not twenty.
MAX_HITS_PER_CATEGORY = 4
CATEGORY_CAP = {"word": 1, "price": 3, "discount": 3, "cta": 3, "pitch": 4, "shop_link": 2,
                "subject": 3, "bulk": 3, "ad_label": 3, "image_ad": 2, "proposal": 4, "adult": 3,
                "link_ad": 2}
# Score thresholds (tuned on the 2002 SpamAssassin corpus, see tests/test_detector_commercial.py).
UNCERTAIN_SCORE = 3
# One kind of reason is enough for "uncertain" when it is this heavy (uncapped weight):
# several distinct pitches, several prices, a page of removal / "not spam" language.
STRONG_ALONE = {"pitch": 3, "proposal": 3, "adult": 3, "cta": 3, "bulk": 3, "price": 6}
# Categories that do not by themselves name a promotion, unless this heavy (uncapped).
PROMOTIONAL_ALONE = {"subject": 2, "word": 3}
ESTABLISHED_SCORE = 7
# An HTML message whose visible text is this short but which shows remote images inside
# links is a picture advertisement the detector cannot read.
IMAGE_AD_MAX_TEXT = 300

ITEM_FIELDS = {
    "reason": ("text", "What the span shows (e.g. 'a price', 'a call to action')."),
    "category": ("text", "price, discount, cta, pitch, word, shop_link, subject, bulk, ad_label, donation, "
                         "image_ad, link_ad, proposal, adult, transactional, notice."),
    "weight": ("int", "How strongly it suggests promotion (transactional: weight of the "
                      "transactional claim)."),
    "field": ("text", "The text field the span is in."),
    "start": ("int", "Start offset."),
    "end": ("int", "End offset."),
    "quote": ("text", "The text as written."),
}

_REASONS = {
    "price": "a price",
    "discount": "a discount or sale offer",
    "cta": "a call to action (buy / order / call now / click here)",
    "pitch": "product or service promotion",
    "word": "selling vocabulary (offer, deal, price, loan ...)",
    "shop_link": "a link to a shop, order or product page",
    "subject": "the subject line promotes something",
    "bulk": "bulk-mailing language (removal instructions, \"this is not spam\", list notices)",
    "ad_label": "the message calls itself an advertisement",
    "image_ad": "a picture advertisement: remote pictures and web links with little or no text beside them",
    "proposal": "solicits a money transfer or business deal (advance-fee pattern); whether that "
                "is a commercial product or service is for counsel",
    "adult": "adult-site promotion vocabulary",
    "link_ad": "a short message whose point is a web link, with commercial wording",
    "transactional": "transactional or relationship content (order, shipping, account, "
                     "warranty, recall)",
    "donation": "a request for donations (political or charitable), not a commercial product "
                "or service",
    "notice": "an administrative notice of a mailing list or mail system (a moderation "
              "request, a delivery failure, an abuse report): the message it quotes or holds "
              "is not the notice's own purpose (15 U.S.C. § 7702(2))",
}


# Boilerplate a mailing list or mail service appends to every message: its sponsor ad and
# footer are not the message's purpose (16 C.F.R. § 316.3(a)(3): placement, proportion).
_LIST_BOILERPLATE = re.compile(
    r"-{5,}\s*Yahoo!\s+Groups\s+Sponsor\s*-+~-->[\s\S]{0,1500}?-+~->"
    r"|This\s+s[fF]\.net\s+email\s+is\s+sponsored\s+by[\s\S]{0,800}?(?:\n\s*\n|_{10,}|\Z)"
    r"|To\s+unsubscribe\s+from\s+this\s+group[\s\S]{0,600}?(?:Terms\s+of\s+Service|\n\s*\n\s*\n|\Z)"
    r"|_{20,}\s*\n[^\n]{0,80}(?:mailing\s+list|@lists?\.|listinfo)[\s\S]{0,400}?(?:\n\s*\n|\Z)"
    r"|^-- ?$[\s\S]{0,1200}\Z"
    r"|Get\s+your\s+FREE\s+download\s+of\s+MSN\s+Explorer[^\n]{0,120}"
    r"|Do\s+You\s+Yahoo!\?[\s\S]{0,200}?(?:\n\s*\n|\Z)"
    # A newsletter's sponsor block: a "Sponsor" heading line, then one short paragraph.
    r"|^[ \t]*(?:Sponsor|Sponsored\s+by|Our\s+sponsor)[ \t]*:?[ \t]*\n"
    r"(?:[ \t]*\n)?[\s\S]{0,700}?(?:\n[ \t]*\n|\Z)",
    re.MULTILINE,
)


def boilerplate_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of list sponsor blocks, list footers and signatures (after "-- ")."""
    return list(cached_spans(_LIST_BOILERPLATE, text))


# Order-form instructions in an advertisement ("if your order is received before 3pm",
# "we will send a confirmation that your order has shipped", "purchase order number") are
# conditions of a future sale, not § 7702(17) content about a completed transaction.
_FUTURE_OR_CONDITIONAL = re.compile(
    r"\b(?:if|when|once|after|upon|will|we'll|you'll|would|to\s+place)\b|\bpurchase\s*$", re.IGNORECASE)
_SENTENCE_START = re.compile(r"[.!?:;\n]\s*")


def _conditional(text: str, start: int) -> bool:
    """The transactional wording at `start` sits in a conditional or future clause."""
    window = text[max(0, start - 80):start]
    cut = list(_SENTENCE_START.finditer(window))
    clause = window[cut[-1].end():] if cut else window
    return bool(_FUTURE_OR_CONDITIONAL.search(clause))


# A line of a receipt or invoice: the amounts on it are the transaction's, not offers.
_TRANSACTION_LINE = re.compile(
    r"\b(?:order\s+total|sub-?total|total\s+(?:paid|charged|due)|amount\s+(?:paid|charged|due)"
    r"|qty|quantity|sales\s+tax|refunded)\b|\bitems?\s*:|^\s*\d+\s*x\s",
    re.IGNORECASE | re.MULTILINE)


def _on_transaction_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return bool(_TRANSACTION_LINE.search(text, line_start, line_end if line_end >= 0 else len(text)))


def _on_quoted_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start].lstrip().startswith(">")


@lru_cache(maxsize=16)
def _mostly_quoted(text: str) -> bool:
    """Nine lines in ten quoted: spam dressed up as a forward, not a reply."""
    lines = [line for line in text[:20000].splitlines() if line.strip()]
    return bool(lines) and sum(line.lstrip().startswith(">") for line in lines) * 10 >= 9 * len(lines)


_LARGE_SUM_AFTER = re.compile(r"\s*(?:million|billion|mil\b|mio\b|mn\b|bn\b|m\b)", re.IGNORECASE)
LARGE_SUM = 100_000  # an amount this large is a sum of money (a loan, a "fund"), not a price


def _large_sum(text: str, start: int, end: int) -> bool:
    """"$18,500,000", "US$ 25 million": money offered or moved, not the price of a product."""
    digits = re.sub(r"[^\d.]", "", text[start:end].replace(",", "")).strip(".")
    try:
        value = float(digits) if digits else 0.0
    except ValueError:
        value = 0.0
    return value >= LARGE_SUM or bool(_LARGE_SUM_AFTER.match(text, end, end + 12))


def _hits(source: TextSource, patterns, limit=MAX_HITS_PER_CATEGORY) -> list[dict[str, Any]]:
    """Distinct hits (by lowercase wording) per category. Quoted lines ("> ...") are
    skipped: a reply quoting an ad is not an ad -- unless nearly all of the text is quoted
    (spam dressed up as a forward)."""
    out: list[dict[str, Any]] = []
    seen: dict[str, set[str]] = {}
    skip_quoted = not _mostly_quoted(source.text)
    boilerplate = boilerplate_ranges(source.text) if skip_quoted else []
    for category, weight, pattern in patterns:
        words = seen.setdefault(category, set())
        for start, end, match in found_spans(pattern, source.text):
            if len(words) >= limit:
                break
            word = " ".join(match.group(0).lower().split())
            word = word[:-1] if word.endswith("s") and len(word) > 3 else word  # "investor(s)": one reason
            if word in words or (skip_quoted and _on_quoted_line(source.text, start)):
                continue
            if any(a <= start < b for a, b in boilerplate):
                continue
            if category == "price" and (_large_sum(source.text, start, end)
                                        or _on_transaction_line(source.text, start)):
                continue
            if category == "transactional" and _conditional(source.text, start):
                continue
            words.add(word)
            record = span(source.field, source.text, start, end)
            record.update(category=category, weight=weight, reason=_REASONS[category])
            out.append(record)
    return out


_AMOUNT = re.compile(r"(?:US\s?)?\$\s?\d{1,3}(?:,\d{3})+(?:\.\d{2})?|(?:US\s?)?\$\s?\d+(?:\.\d+)?\s*million\b",
                     re.IGNORECASE)


def _proposal_sum(body: TextSource, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The large sum a business proposal offers to move ("US$34,700,000"): a reason only
    next to proposal wording (news reports quote millions too)."""
    if not any(h["category"] == "proposal" and h["weight"] >= 2 for h in hits):
        return []
    for start, end in cached_spans(_AMOUNT, body.text):
        if _large_sum(body.text, start, end):
            record = span(body.field, body.text, start, end)
            record.update(category="proposal", weight=1,
                          reason=_REASONS["proposal"] + " (a large sum of money)")
            return [record]
    return []


def _shop_links(links: list[dict]) -> list[dict[str, Any]]:
    out = []
    for i, link in enumerate(links):
        url = link.get("url") or ""
        if link.get("mailto") or not link.get("visible", True):
            continue
        rest = url.split("://", 1)[-1]
        match = _SHOP_URL.search(rest)
        if match:
            offset = len(url) - len(rest)
            record = span(f"links[{i}].url", url, offset + match.start(), offset + match.end())
            record.update(category="shop_link", weight=2, reason=_REASONS["shop_link"])
            out.append(record)
        if len(out) >= MAX_HITS_PER_CATEGORY:
            break
    return out


def _ad_labels(subject: str | None, body: TextSource) -> list[dict[str, Any]]:
    labels = subject_labels(subject) + body_labels([body], limit=1)
    out = []
    for label in labels[:2]:
        record = {k: label[k] for k in ("field", "start", "end", "quote")}
        # A label in the subject ("ADV:") is the sender's own declaration; a body mention
        # of "advertisement" may be a discussion of one.
        weight = 3 if label["field"] == "subject" else 2
        record.update(category="ad_label", weight=weight, reason=_REASONS["ad_label"])
        out.append(record)
    return out


# Where a line reading "Advertisement" / "Publicidad" labels the message itself (further
# down, a heading may label one sponsor block of a newsletter).
LABEL_AT_TOP_CHARS = 600
_DECLARING_FORMS = {"subject_prefix", "statement", "self_reference"}


def _declares_itself(subject: str | None, body: TextSource) -> bool:
    """The sender calls this message an advertisement: a label in the subject ("ADV:",
    "【广告】", "(광고)"), a statement or self-reference in the text ("This is an
    advertisement", "You are receiving this advertisement because"), or a conspicuous
    label line at the top ("Advertisement", "Werbung", "ADVERTISEMENT - 18+ ONLY")."""
    if any(label["visible"] for label in subject_labels(subject)):
        return True
    return any(
        label["visible"] and (label["form"] in _DECLARING_FORMS
                              or (label["conspicuous"] and label["start"] < LABEL_AT_TOP_CHARS))
        for label in body_labels([body], limit=3))


# What makes an offer: something sold and a way to take it (an amount with a call to act,
# a discount, a shop link), or several distinct pitches of a product with a call to act.
PROMOTES = {"price", "discount", "cta", "shop_link", "pitch", "adult"}


def _established_offer(totals: dict[str, int], strong: set[str], declared: bool,
                       unsubscribe: bool) -> bool:
    """An offer that establishes commercial purpose (issue: self-labelled ads and ESP mail):
    the message calls itself an advertisement and promotes something (an amount, a
    discount, a call to act on it, a shop link, or two pitches); or it carries an
    unsubscribe mechanism and makes a priced or discounted offer with a way to act on it."""
    promotes = bool(strong & {"price", "discount", "cta", "shop_link", "adult"}) or totals.get("pitch", 0) >= 2
    if declared and promotes:
        return True
    priced = bool(strong & {"price", "discount"})
    if unsubscribe and priced and bool(strong & {"cta", "shop_link"}):
        return True
    # Bulk-mail removal language in the text itself ("to be removed from our list", "you
    # are receiving this mailing") beside a promotion: the sender mails an offer in bulk.
    # Removal language alone ("remove", "opt out") is common in discussions of spam: the
    # bulk wording must be strong and the promotion weigh as much as an established one.
    return ("bulk" in strong and promotes and "proposal" not in totals
            and _score(totals) >= ESTABLISHED_SCORE)


def _image_ad(visible_text: str, links: list[dict], images: list[dict] | None,
              field: str) -> list[dict[str, Any]]:
    if images is None:
        return []
    remote = [im for im in images if im.get("kind") == "remote" and im.get("visible", True)]
    web_links = [lk for lk in links if not lk.get("mailto") and lk.get("visible", True)]
    text_length = len(visible_text.strip())
    # Remote pictures and web links with little text (a footer at most); or pictures and no text at
    # all (image maps, pasted flyers).
    short = text_length <= IMAGE_AD_MAX_TEXT or (
        len(remote) >= 3 and len(web_links) >= 3 and text_length <= 3 * IMAGE_AD_MAX_TEXT
    )
    if not remote or not short or not (web_links or text_length == 0):
        return []
    record = span(field, visible_text, 0, len(visible_text))
    # What was counted, as facts: the pictures need not sit inside the links.
    reason = (f"a picture advertisement: {len(remote)} picture(s) loaded from the web and "
              f"{len(web_links)} link(s), with {text_length:,} characters of text")
    record.update(category="image_ad", weight=2, reason=reason)
    return [record]


LINK_AD_MAX_TEXT = 800
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|fwd?|fw)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
# What a real reply or forward carries in its body: quoted lines or an attribution.
_REPLY_BODY = re.compile(r"^\s*>|\bwrote:\s*$|-{3,}\s*(?:Original|Forwarded)\s+Message", re.IGNORECASE | re.MULTILINE)


_LINK_AD_SIGNS = {"cta", "pitch", "price", "discount", "adult"}


def _link_ad(subject: str | None, body: TextSource, links: list[dict],
             hits: list[dict[str, Any]], is_reply: bool = False) -> list[dict]:
    """A short message whose point is a web link, with promotional wording in its text:
    the shape of most link advertisements ("Click here", "Please visit http://...").
    Not for a reply in a conversation: one that is threaded (`is_reply`) or whose "Re:"
    subject comes with quoted text. A bare "Re:" over an ad is a fake reply, not a reply."""
    text = body.text.strip()
    web = [lk for lk in links if not lk.get("mailto") and lk.get("visible", True)]
    promotes = any(h["category"] in _LINK_AD_SIGNS and h["field"] == body.field for h in hits)
    if (not web or not promotes or len(text) > LINK_AD_MAX_TEXT
            or is_reply or _mostly_quoted(body.text)
            or (_REPLY_SUBJECT.match(subject or "") and _REPLY_BODY.search(text))):
        return []
    record = span(body.field, body.text, 0, len(body.text))
    record.update(category="link_ad", weight=2, reason=_REASONS["link_ad"])
    return [record]


def _adult_promo(subject: str | None, body: TextSource, links: list[dict]) -> list[dict]:
    """Adult vocabulary in a message that links somewhere: a porn-site advertisement."""
    if not any(not lk.get("mailto") and lk.get("visible", True) for lk in links):
        return []
    strong, weak = adult_patterns()
    patterns = [("adult", 2, strong), ("adult", 1, weak)]
    hits = _hits(TextSource("subject", subject or ""), patterns, limit=1)
    hits += _hits(body, patterns, limit=3)
    return hits if sum(h["weight"] for h in hits) >= 3 else []


def _subject_reason(hit: dict[str, Any]) -> dict[str, Any]:
    hit["reason"] = f"{_REASONS['subject']}: {_REASONS[hit['category']]}"
    hit["category"] = "subject"
    return hit


def _totals(hits: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for hit in hits:
        totals[hit["category"]] = totals.get(hit["category"], 0) + hit["weight"]
    return totals


def _score(totals: dict[str, int]) -> int:
    return sum(min(total, CATEGORY_CAP.get(cat, 2)) for cat, total in totals.items())


def classify(
    subject: str | None, visible_text: str, links: list[dict] | None = None,
    images: list[dict] | None = None, field: str = "body.visible_text", is_reply: bool = False,
    unsubscribe_header: bool = False,
    pictures: list[TextSource] = (),
) -> dict[str, Any]:
    """{status, reasons, score, transactional_at_beginning} for one message's content.

    Only what the reader sees counts: hidden text is filler or tracking, not the message's
    purpose. `images` (the `images` field) enables the picture-advertisement reason.
    `is_reply`: the message answers another (In-Reply-To or References), so it is at most
    commercial_uncertain: a reply in a conversation that mentions prices is not clearly an
    advertisement. `unsubscribe_header`: the message has a List-Unsubscribe header (an
    unsubscribe mechanism, like opt-out wording in the text)."""
    body = TextSource(field, visible_text or "")
    links = links or []
    subject_source = TextSource("subject", subject or "")
    commercial = (
        _hits(body, COMMERCIAL)
        + _shop_links(links)
        + [_subject_reason(h) for h in _hits(subject_source, COMMERCIAL, limit=1)]
        + _ad_labels(subject, body)
        + _image_ad(body.text, links, images, field)
        + _adult_promo(subject, body, links)
    )
    for picture in pictures:  # text read by OCR from the pictures the message carries
        commercial += _hits(picture, COMMERCIAL) + _ad_labels(None, picture)
    commercial += _link_ad(subject, body, links, commercial, is_reply)
    commercial += _proposal_sum(body, commercial)
    transactional = _hits(body, TRANSACTIONAL) + _hits(subject_source, TRANSACTIONAL, limit=1)
    totals = _totals(commercial)
    score = _score(totals)
    beginning = max(BEGINNING_CHARS, len(body.text) // 5)
    at_beginning = any(h["field"] == "subject" or h["start"] < beginning for h in transactional)
    # 16 C.F.R. § 316.3(a)(2): transactional content at the beginning under a subject that
    # does not advertise makes mixed content not commercial.
    transactional_first = at_beginning and "subject" not in totals
    reasons = sorted(commercial, key=lambda h: (h["field"] != "subject", h["field"], h["start"]))
    density = _density(commercial, body.text)
    strong = {h["category"] for h in commercial if h["weight"] >= 2}
    declared = _declares_itself(subject, body)
    unsubscribe = unsubscribe_header or any(h["category"] == "bulk" for h in commercial)
    status = _cap(_status(totals, strong, score, bool(transactional), transactional_first,
                          short=len(body.text) <= SPARSE_MIN_CHARS,
                          offer=not is_reply and _established_offer(totals, strong, declared, unsubscribe)),
                  doubtful=is_reply or density < SPARSE_HITS_PER_1000,
                  faint=score < ESTABLISHED_SCORE and (is_reply or density < FAINT_HITS_PER_1000),
                  transactional=bool(transactional))
    donation = _hits(body, DONATION)
    if len(donation) >= DONATION_HITS and not set(totals) & NAMES_A_PRODUCT:
        status = "non_commercial"  # a political or charitable appeal, promoting no product
    if status == "transactional" and "bulk" in strong:
        # "This is a one-time mailing", "removed from our list": bulk mail dressed as an
        # account notice is not one; a person weighs it.
        status = "commercial_uncertain"
    if status == "transactional" and not strong & (PROMOTES - {"cta"}):
        # A notice about the reader's account or order whose only "selling" words are a
        # phone number or "call us at", "marketing email" or a link (a security alert): no
        # promotion at all; nothing is offered.
        commercial, score = [], 0
    return {
        "status": status,
        "reasons": (reasons if commercial else []) + transactional + donation,
        "score": score,
        "transactional_at_beginning": at_beginning,
    }


# Two distinct donation phrases ("donate", "501(c)(3)") and nothing that names a product or
# service make an appeal for money non-commercial; a business proposal stays for counsel.
DONATION_HITS = 2
NAMES_A_PRODUCT = {"pitch", "discount", "shop_link", "ad_label", "adult", "image_ad", "proposal"}


# In a long text, scattered selling words (a newsletter's editorial with a price here and
# an offer there) are not a clear promotion: below this many commercial hits per 1,000
# characters, a text longer than SPARSE_MIN_CHARS is at most commercial_uncertain
# (16 C.F.R. § 316.3(a)(3): placement and proportion).
SPARSE_MIN_CHARS = 4000
SPARSE_HITS_PER_1000 = 1.0


# Below this, a long text's few selling words are incidental (a forwarded article, a list
# digest): without an established score the message is not sorted as commercial at all.
FAINT_HITS_PER_1000 = 0.5


def _density(hits: list[dict[str, Any]], text: str) -> float:
    """Commercial hits in the body per 1,000 characters; infinite for a short text."""
    if len(text) <= SPARSE_MIN_CHARS:
        return float("inf")
    return sum(1 for h in hits if h["field"].startswith("body.")) * 1000 / len(text)


def _cap(status: str, doubtful: bool, faint: bool, transactional: bool) -> str:
    """Lower the sorting for a reply or a sparse long text. `doubtful`: `commercial` becomes
    `commercial_uncertain`. `faint` (a reply in a conversation, or a long text with very
    few selling words, and no established score): `commercial_uncertain` becomes
    `non_commercial` (or `transactional`): quoted or incidental prices are not a promotion."""
    if status == "commercial" and doubtful:
        return "commercial_uncertain"
    if status == "commercial_uncertain" and faint:
        return "transactional" if transactional else "non_commercial"
    return status


# What names a product or service being promoted: an amount and a call to action alone
# ("$1,450 ... for more information") may be a scam letter's, not an advertisement's.
PRODUCT_SIGNS = {"pitch", "discount", "shop_link", "ad_label", "adult", "subject", "image_ad"}


def _status(totals: dict[str, int], strong: set[str], score: int, transactional: bool,
            transactional_first: bool = False, short: bool = True, offer: bool = False) -> str:
    """The sorting described in the module docstring. `strong`: the categories with a hit
    of weight 2 or more (an actual amount, "order now", not just "great prices"). `offer`:
    the message declares itself an advertisement or carries an unsubscribe mechanism, and
    makes an offer (`_established_offer`)."""
    categories = set(totals)
    clear = (
        {"price", "cta"} <= strong
        or ("shop_link" in strong and strong & {"price", "discount"})
        or {"discount", "cta"} <= strong
        or totals.get("ad_label", 0) >= 3
        # A product pitched several ways with a call to act on it ("Increase your size ...
        # guaranteed ... click here to order"): three distinct pitches and a strong call to
        # action, or an amount, a call to action and two pitches.
        # Only in a short text: a long article or newsletter can gather as many in passing.
        or (short and totals.get("pitch", 0) >= 3 and "cta" in strong)
        or (short and "price" in strong and "cta" in categories and totals.get("pitch", 0) >= 2)
        # An adult site offered with a call to act on it.
        or (short and totals.get("adult", 0) >= 3 and "cta" in categories)
    ) and bool(categories & PRODUCT_SIGNS)
    # The shape of a link advertisement is a reason for doubt, not for certainty.
    established = score - min(totals.get("link_ad", 0), CATEGORY_CAP["link_ad"])
    if transactional and transactional_first and score < ESTABLISHED_SCORE:
        return "transactional"  # § 316.3(a)(2): the transaction comes first, lightly promoted
    if offer and not transactional:
        return "commercial"
    if clear and established >= ESTABLISHED_SCORE and len(categories - {"link_ad"}) >= 3:
        # A money-transfer proposal is a fraud pattern first: whether it "promotes a
        # product or service" is for a person.
        mixed = transactional or "proposal" in strong or totals.get("proposal", 0) >= 3
        return "commercial_uncertain" if mixed else "commercial"
    # Everyday selling words count as a kind of reason only when there are several.
    kinds = categories - {"word"} | ({"word"} if totals.get("word", 0) >= 2 else set())
    promotional = categories - {"word", "bulk", "subject"} | {
        # A subject line with two selling hits (§ 316.3(a)(2)(i): the recipient would think
        # the message advertises), or three distinct selling words in the text.
        cat for cat in ("subject", "word") if totals.get(cat, 0) >= PROMOTIONAL_ALONE[cat]}
    strong_alone = any(totals.get(c, 0) >= n for c, n in STRONG_ALONE.items())
    if score >= UNCERTAIN_SCORE and ((promotional and len(kinds) >= 2) or strong_alone):
        return "commercial_uncertain"
    if categories & {"image_ad", "ad_label", "link_ad"}:
        return "commercial_uncertain"
    if transactional:
        return "transactional"
    return "non_commercial"


# ------------------------------------------------------------------- fields


def _classify_message(m) -> dict[str, Any]:
    text = m.get("body.visible_text") or ""
    notice = notice_wording(text) if _sent_by_mail_system(m) else None
    if notice:
        return classify_notice(m.get("subject"), text, notice, message_links(m))
    return classify(m.get("subject"), text, message_links(m), m.get("images") or [],
                    is_reply=bool(m.get("in_reply_to") or m.get("references")),
                    unsubscribe_header=bool(m.get("list_unsubscribe")),
                    pictures=picture_sources(m))


def _detect(msg) -> dict[str, Any]:
    return msg.memo("detector:commercial", _classify_message)


# ------------------------------------------------------- administrative notices
# A mailing list's moderation request, a delivery failure (bounce) or an abuse report is
# sent by a list or mail system about another message; the held, returned or reported
# message it quotes is not the notice's own purpose (15 U.S.C. § 7702(2)).
_NOTICE = re.compile(
    r"\byour\s+authori[sz]ation\s+is\s+requested\s+for\s+the\s+following\s+(?:mailing\s+list\s+)?post"
    r"|\b(?:post(?:ing)?|message)\b[^\n]{0,120}?\b(?:requires|awaits|is\s+awaiting|needs)\s+(?:your\s+)?"
    r"(?:approval|moderat(?:ion|or))\b"
    r"|\bheld\s+for\s+(?:moderat(?:ion|or)|approval)\b|\bpending\s+moderator\s+approval\b"
    r"|\bcould\s+not\s+be\s+delivered\s+to\s+one\s+or\s+more\s+recipients\b"
    r"|\b(?:message|mail)\s+(?:could\s+not|was\s+not|cannot)\s+be\s+delivered\b"
    r"|\bdelivery\s+(?:to\s+the\s+following\s+recipients?\s+)?(?:has\s+)?failed\b"
    r"|\bpermanent\s+(?:fatal\s+)?errors?\b|\bdelivery\s+status\s+notification\b"
    r"|\b(?:this\s+is\s+an?\s+)?(?:abuse|spam|feedback)\s+(?:report|complaint)\b"
    r"|\bwe\s+(?:have\s+)?received\s+an?\s+(?:spam\s+|abuse\s+)?complaint\b",
    re.IGNORECASE)
# Local parts of the addresses lists and mail systems send from.
_SYSTEM_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|abuse|mailman|listserv|majordomo|ecartis|sympa)$"
    r"|-(?:admin|owner|request|bounces?|approval)$|^owner-", re.IGNORECASE)
_LIST_HEADERS = {"list-id", "x-beenthere", "x-mailman-version", "mailing-list", "list-post"}
# Where a notice copies the other message: copy markers and the copied header lines.
_COPY_MARKER = re.compile(
    r"^[ \t-]*(?:-{2,}\s*)?(?:original\s+message|forwarded\s+message|(?:this\s+is\s+)?a\s+copy\s+of\s+"
    r"(?:the|your)\s+message|below\s+this\s+line\s+is\s+a\s+copy|undelivered\s+message|returned\s+message)"
    r"[^\n]*$", re.IGNORECASE | re.MULTILINE)
_COPIED_HEADER_LINE = re.compile(
    r"^[ \t]*(?:from|subject|to|cc|date|sender|reason|list|message-id|return-path|received|content-type)"
    r"[ \t]*:[^\n]*$", re.IGNORECASE | re.MULTILINE)


def _sent_by_mail_system(m) -> bool:
    """A list, a mail server or an abuse desk wrote the message (its From or Sender local
    part, the list headers, Auto-Submitted, or a multipart/report body)."""
    names = {h["name"].lower(): h["value"] for h in m.get("headers") or []}
    if _LIST_HEADERS & names.keys() or names.get("auto-submitted", "no").strip().lower() != "no":
        return True
    if "multipart/report" in names.get("content-type", "").lower():
        return True
    for field in ("from.address", "sender.address"):
        local = (m.get(field) or "").rsplit("@", 1)[0]
        if local and _SYSTEM_SENDER.search(local):
            return True
    return False


def notice_wording(text: str) -> re.Match | None:
    """Wording of a moderation request, bounce or abuse report near the top of the text."""
    return _NOTICE.search(text, 0, NOTICE_WORDING_CHARS)


NOTICE_WORDING_CHARS = 1500


def notice_own_text(text: str) -> str:
    """The notice without what it copies: the text stops at a copy marker ("---- Original
    message ----"), and copied header lines ("Subject: ...", "Reason: ...") are blanked
    (offsets are kept, so evidence spans stay true)."""
    marker = _COPY_MARKER.search(text)
    own = text[:marker.start()] + " " * (len(text) - marker.start()) if marker else text
    return _COPIED_HEADER_LINE.sub(lambda mt: " " * len(mt.group(0)), own)


def classify_notice(subject: str | None, text: str, notice: re.Match,
                    links: list[dict]) -> dict[str, Any]:
    """An administrative notice is non_commercial unless its own text (without the copied
    message) is itself clearly an advertisement: a promotion dressed as a bounce is still
    one."""
    own = classify(None, notice_own_text(text), [lk for lk in links if (lk.get("url") or "") in text],
                   is_reply=False)
    record = span("body.visible_text", text, notice.start(), notice.end())
    record.update(category="notice", weight=0, reason=_REASONS["notice"])
    if own["status"] == "commercial":
        return own
    return {"status": "non_commercial", "reasons": [record], "score": 0,
            "transactional_at_beginning": False}


@register(
    "commercial.status",
    "text",
    "commercial | commercial_uncertain | transactional | non_commercial: the detector's "
    "sorting of the message's primary purpose (16 C.F.R. § 316.3); always a matter for review.",
)
def commercial_status(msg) -> str:
    return _detect(msg)["status"]


@register(
    "commercial.reasons",
    "list[record]",
    "The commercial and transactional indicators behind commercial.status, with spans.",
    item_fields=ITEM_FIELDS,
)
def commercial_reasons(msg) -> list[dict[str, Any]]:
    return _detect(msg)["reasons"]


@register("commercial.score", "int", "Sum of the strongest weight in each commercial category.")
def commercial_score(msg) -> int:
    return _detect(msg)["score"]


@register(
    "commercial.transactional_at_beginning",
    "bool",
    "True when transactional content is in the subject or the beginning of the visible body "
    "(16 C.F.R. § 316.3(a)(2)(ii)).",
)
def commercial_transactional_at_beginning(msg) -> bool:
    return _detect(msg)["transactional_at_beginning"]
