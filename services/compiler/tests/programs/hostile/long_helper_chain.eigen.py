from eigen_lang import *
import math
import numpy as np


@quantum_circuit
def f0(q):
    h(q)


@quantum_circuit
def f1(q):
    f0(q)


@quantum_circuit
def f2(q):
    f1(q)


@quantum_circuit
def f3(q):
    f2(q)


@quantum_circuit
def f4(q):
    f3(q)


@quantum_circuit
def f5(q):
    f4(q)


@quantum_circuit
def f6(q):
    f5(q)


@quantum_circuit
def f7(q):
    f6(q)


@quantum_circuit
def f8(q):
    f7(q)


@quantum_circuit
def f9(q):
    f8(q)


@quantum_circuit
def f10(q):
    f9(q)


@quantum_circuit
def f11(q):
    f10(q)


@quantum_circuit
def f12(q):
    f11(q)


@quantum_circuit
def f13(q):
    f12(q)


@quantum_circuit
def f14(q):
    f13(q)


@quantum_circuit
def f15(q):
    f14(q)


@quantum_circuit
def f16(q):
    f15(q)


@quantum_circuit
def f17(q):
    f16(q)


@quantum_circuit
def f18(q):
    f17(q)


@quantum_circuit
def f19(q):
    f18(q)


@quantum_circuit
def f20(q):
    f19(q)


@quantum_circuit
def f21(q):
    f20(q)


@quantum_circuit
def f22(q):
    f21(q)


@quantum_circuit
def f23(q):
    f22(q)


@quantum_circuit
def f24(q):
    f23(q)


@quantum_circuit
def f25(q):
    f24(q)


@quantum_circuit
def f26(q):
    f25(q)


@quantum_circuit
def f27(q):
    f26(q)


@quantum_circuit
def f28(q):
    f27(q)


@quantum_circuit
def f29(q):
    f28(q)


@quantum_circuit
def f30(q):
    f29(q)


@quantum_circuit
def f31(q):
    f30(q)


@quantum_circuit
def f32(q):
    f31(q)


@quantum_circuit
def f33(q):
    f32(q)


@quantum_circuit
def f34(q):
    f33(q)


@quantum_circuit
def f35(q):
    f34(q)


@quantum_circuit
def f36(q):
    f35(q)


@quantum_circuit
def f37(q):
    f36(q)


@quantum_circuit
def f38(q):
    f37(q)


@quantum_circuit
def f39(q):
    f38(q)


@quantum_circuit
def f40(q):
    f39(q)


@quantum_circuit
def f41(q):
    f40(q)


@quantum_circuit
def f42(q):
    f41(q)


@quantum_circuit
def f43(q):
    f42(q)


@quantum_circuit
def f44(q):
    f43(q)


@quantum_circuit
def f45(q):
    f44(q)


@quantum_circuit
def f46(q):
    f45(q)


@quantum_circuit
def f47(q):
    f46(q)


@quantum_circuit
def f48(q):
    f47(q)


@quantum_circuit
def f49(q):
    f48(q)


@quantum_circuit
def f50(q):
    f49(q)


@quantum_circuit
def f51(q):
    f50(q)


@quantum_circuit
def f52(q):
    f51(q)


@quantum_circuit
def f53(q):
    f52(q)


@quantum_circuit
def f54(q):
    f53(q)


@quantum_circuit
def f55(q):
    f54(q)


@quantum_circuit
def f56(q):
    f55(q)


@quantum_circuit
def f57(q):
    f56(q)


@quantum_circuit
def f58(q):
    f57(q)


@quantum_circuit
def f59(q):
    f58(q)


@quantum_circuit
def f60(q):
    f59(q)


@quantum_circuit
def f61(q):
    f60(q)


@quantum_circuit
def f62(q):
    f61(q)


@quantum_circuit
def f63(q):
    f62(q)


@quantum_circuit
def f64(q):
    f63(q)


@quantum_circuit
def f65(q):
    f64(q)


@quantum_circuit
def f66(q):
    f65(q)


@quantum_circuit
def f67(q):
    f66(q)


@quantum_circuit
def f68(q):
    f67(q)


@quantum_circuit
def f69(q):
    f68(q)


@quantum_circuit
def f70(q):
    f69(q)


@quantum_circuit
def f71(q):
    f70(q)


@quantum_circuit
def f72(q):
    f71(q)


@quantum_circuit
def f73(q):
    f72(q)


@quantum_circuit
def f74(q):
    f73(q)


@quantum_circuit
def f75(q):
    f74(q)


@quantum_circuit
def f76(q):
    f75(q)


@quantum_circuit
def f77(q):
    f76(q)


@quantum_circuit
def f78(q):
    f77(q)


@quantum_circuit
def f79(q):
    f78(q)


@quantum_circuit
def f80(q):
    f79(q)


@quantum_circuit
def f81(q):
    f80(q)


@quantum_circuit
def f82(q):
    f81(q)


@quantum_circuit
def f83(q):
    f82(q)


@quantum_circuit
def f84(q):
    f83(q)


@quantum_circuit
def f85(q):
    f84(q)


@quantum_circuit
def f86(q):
    f85(q)


@quantum_circuit
def f87(q):
    f86(q)


@quantum_circuit
def f88(q):
    f87(q)


@quantum_circuit
def f89(q):
    f88(q)


@quantum_circuit
def f90(q):
    f89(q)


@quantum_circuit
def f91(q):
    f90(q)


@quantum_circuit
def f92(q):
    f91(q)


@quantum_circuit
def f93(q):
    f92(q)


@quantum_circuit
def f94(q):
    f93(q)


@quantum_circuit
def f95(q):
    f94(q)


@quantum_circuit
def f96(q):
    f95(q)


@quantum_circuit
def f97(q):
    f96(q)


@quantum_circuit
def f98(q):
    f97(q)


@quantum_circuit
def f99(q):
    f98(q)


@quantum_circuit
def f100(q):
    f99(q)


@quantum_circuit
def f101(q):
    f100(q)


@quantum_circuit
def f102(q):
    f101(q)


@quantum_circuit
def f103(q):
    f102(q)


@quantum_circuit
def f104(q):
    f103(q)


@quantum_circuit
def f105(q):
    f104(q)


@quantum_circuit
def f106(q):
    f105(q)


@quantum_circuit
def f107(q):
    f106(q)


@quantum_circuit
def f108(q):
    f107(q)


@quantum_circuit
def f109(q):
    f108(q)


@quantum_circuit
def f110(q):
    f109(q)


@quantum_circuit
def f111(q):
    f110(q)


@quantum_circuit
def f112(q):
    f111(q)


@quantum_circuit
def f113(q):
    f112(q)


@quantum_circuit
def f114(q):
    f113(q)


@quantum_circuit
def f115(q):
    f114(q)


@quantum_circuit
def f116(q):
    f115(q)


@quantum_circuit
def f117(q):
    f116(q)


@quantum_circuit
def f118(q):
    f117(q)


@quantum_circuit
def f119(q):
    f118(q)


@quantum_circuit
def f120(q):
    f119(q)


@quantum_circuit
def f121(q):
    f120(q)


@quantum_circuit
def f122(q):
    f121(q)


@quantum_circuit
def f123(q):
    f122(q)


@quantum_circuit
def f124(q):
    f123(q)


@quantum_circuit
def f125(q):
    f124(q)


@quantum_circuit
def f126(q):
    f125(q)


@quantum_circuit
def f127(q):
    f126(q)


@quantum_circuit
def f128(q):
    f127(q)


@quantum_circuit
def f129(q):
    f128(q)


@quantum_circuit
def f130(q):
    f129(q)


@quantum_circuit
def f131(q):
    f130(q)


@quantum_circuit
def f132(q):
    f131(q)


@quantum_circuit
def f133(q):
    f132(q)


@quantum_circuit
def f134(q):
    f133(q)


@quantum_circuit
def f135(q):
    f134(q)


@quantum_circuit
def f136(q):
    f135(q)


@quantum_circuit
def f137(q):
    f136(q)


@quantum_circuit
def f138(q):
    f137(q)


@quantum_circuit
def f139(q):
    f138(q)


@quantum_circuit
def f140(q):
    f139(q)


@quantum_circuit
def f141(q):
    f140(q)


@quantum_circuit
def f142(q):
    f141(q)


@quantum_circuit
def f143(q):
    f142(q)


@quantum_circuit
def f144(q):
    f143(q)


@quantum_circuit
def f145(q):
    f144(q)


@quantum_circuit
def f146(q):
    f145(q)


@quantum_circuit
def f147(q):
    f146(q)


@quantum_circuit
def f148(q):
    f147(q)


@quantum_circuit
def f149(q):
    f148(q)


@quantum_circuit
def f150(q):
    f149(q)


@quantum_circuit
def f151(q):
    f150(q)


@quantum_circuit
def f152(q):
    f151(q)


@quantum_circuit
def f153(q):
    f152(q)


@quantum_circuit
def f154(q):
    f153(q)


@quantum_circuit
def f155(q):
    f154(q)


@quantum_circuit
def f156(q):
    f155(q)


@quantum_circuit
def f157(q):
    f156(q)


@quantum_circuit
def f158(q):
    f157(q)


@quantum_circuit
def f159(q):
    f158(q)


@quantum_circuit
def f160(q):
    f159(q)


@quantum_circuit
def f161(q):
    f160(q)


@quantum_circuit
def f162(q):
    f161(q)


@quantum_circuit
def f163(q):
    f162(q)


@quantum_circuit
def f164(q):
    f163(q)


@quantum_circuit
def f165(q):
    f164(q)


@quantum_circuit
def f166(q):
    f165(q)


@quantum_circuit
def f167(q):
    f166(q)


@quantum_circuit
def f168(q):
    f167(q)


@quantum_circuit
def f169(q):
    f168(q)


@quantum_circuit
def f170(q):
    f169(q)


@quantum_circuit
def f171(q):
    f170(q)


@quantum_circuit
def f172(q):
    f171(q)


@quantum_circuit
def f173(q):
    f172(q)


@quantum_circuit
def f174(q):
    f173(q)


@quantum_circuit
def f175(q):
    f174(q)


@quantum_circuit
def f176(q):
    f175(q)


@quantum_circuit
def f177(q):
    f176(q)


@quantum_circuit
def f178(q):
    f177(q)


@quantum_circuit
def f179(q):
    f178(q)


@quantum_circuit
def f180(q):
    f179(q)


@quantum_circuit
def f181(q):
    f180(q)


@quantum_circuit
def f182(q):
    f181(q)


@quantum_circuit
def f183(q):
    f182(q)


@quantum_circuit
def f184(q):
    f183(q)


@quantum_circuit
def f185(q):
    f184(q)


@quantum_circuit
def f186(q):
    f185(q)


@quantum_circuit
def f187(q):
    f186(q)


@quantum_circuit
def f188(q):
    f187(q)


@quantum_circuit
def f189(q):
    f188(q)


@quantum_circuit
def f190(q):
    f189(q)


@quantum_circuit
def f191(q):
    f190(q)


@quantum_circuit
def f192(q):
    f191(q)


@quantum_circuit
def f193(q):
    f192(q)


@quantum_circuit
def f194(q):
    f193(q)


@quantum_circuit
def f195(q):
    f194(q)


@quantum_circuit
def f196(q):
    f195(q)


@quantum_circuit
def f197(q):
    f196(q)


@quantum_circuit
def f198(q):
    f197(q)


@quantum_circuit
def f199(q):
    f198(q)


@quantum_circuit
def f200(q):
    f199(q)


@quantum_circuit
def f201(q):
    f200(q)


@quantum_circuit
def f202(q):
    f201(q)


@quantum_circuit
def f203(q):
    f202(q)


@quantum_circuit
def f204(q):
    f203(q)


@quantum_circuit
def f205(q):
    f204(q)


@quantum_circuit
def f206(q):
    f205(q)


@quantum_circuit
def f207(q):
    f206(q)


@quantum_circuit
def f208(q):
    f207(q)


@quantum_circuit
def f209(q):
    f208(q)


@quantum_circuit
def f210(q):
    f209(q)


@quantum_circuit
def f211(q):
    f210(q)


@quantum_circuit
def f212(q):
    f211(q)


@quantum_circuit
def f213(q):
    f212(q)


@quantum_circuit
def f214(q):
    f213(q)


@quantum_circuit
def f215(q):
    f214(q)


@quantum_circuit
def f216(q):
    f215(q)


@quantum_circuit
def f217(q):
    f216(q)


@quantum_circuit
def f218(q):
    f217(q)


@quantum_circuit
def f219(q):
    f218(q)


@quantum_circuit
def f220(q):
    f219(q)


@quantum_circuit
def f221(q):
    f220(q)


@quantum_circuit
def f222(q):
    f221(q)


@quantum_circuit
def f223(q):
    f222(q)


@quantum_circuit
def f224(q):
    f223(q)


@quantum_circuit
def f225(q):
    f224(q)


@quantum_circuit
def f226(q):
    f225(q)


@quantum_circuit
def f227(q):
    f226(q)


@quantum_circuit
def f228(q):
    f227(q)


@quantum_circuit
def f229(q):
    f228(q)


@quantum_circuit
def f230(q):
    f229(q)


@quantum_circuit
def f231(q):
    f230(q)


@quantum_circuit
def f232(q):
    f231(q)


@quantum_circuit
def f233(q):
    f232(q)


@quantum_circuit
def f234(q):
    f233(q)


@quantum_circuit
def f235(q):
    f234(q)


@quantum_circuit
def f236(q):
    f235(q)


@quantum_circuit
def f237(q):
    f236(q)


@quantum_circuit
def f238(q):
    f237(q)


@quantum_circuit
def f239(q):
    f238(q)


@quantum_circuit
def f240(q):
    f239(q)


@quantum_circuit
def f241(q):
    f240(q)


@quantum_circuit
def f242(q):
    f241(q)


@quantum_circuit
def f243(q):
    f242(q)


@quantum_circuit
def f244(q):
    f243(q)


@quantum_circuit
def f245(q):
    f244(q)


@quantum_circuit
def f246(q):
    f245(q)


@quantum_circuit
def f247(q):
    f246(q)


@quantum_circuit
def f248(q):
    f247(q)


@quantum_circuit
def f249(q):
    f248(q)


@quantum_circuit
def f250(q):
    f249(q)


@quantum_circuit
def f251(q):
    f250(q)


@quantum_circuit
def f252(q):
    f251(q)


@quantum_circuit
def f253(q):
    f252(q)


@quantum_circuit
def f254(q):
    f253(q)


@quantum_circuit
def f255(q):
    f254(q)


@quantum_circuit
def f256(q):
    f255(q)


@quantum_circuit
def f257(q):
    f256(q)


@quantum_circuit
def f258(q):
    f257(q)


@quantum_circuit
def f259(q):
    f258(q)


@quantum_circuit
def f260(q):
    f259(q)


@quantum_circuit
def f261(q):
    f260(q)


@quantum_circuit
def f262(q):
    f261(q)


@quantum_circuit
def f263(q):
    f262(q)


@quantum_circuit
def f264(q):
    f263(q)


@quantum_circuit
def f265(q):
    f264(q)


@quantum_circuit
def f266(q):
    f265(q)


@quantum_circuit
def f267(q):
    f266(q)


@quantum_circuit
def f268(q):
    f267(q)


@quantum_circuit
def f269(q):
    f268(q)


@quantum_circuit
def f270(q):
    f269(q)


@quantum_circuit
def f271(q):
    f270(q)


@quantum_circuit
def f272(q):
    f271(q)


@quantum_circuit
def f273(q):
    f272(q)


@quantum_circuit
def f274(q):
    f273(q)


@quantum_circuit
def f275(q):
    f274(q)


@quantum_circuit
def f276(q):
    f275(q)


@quantum_circuit
def f277(q):
    f276(q)


@quantum_circuit
def f278(q):
    f277(q)


@quantum_circuit
def f279(q):
    f278(q)


@quantum_circuit
def f280(q):
    f279(q)


@quantum_circuit
def f281(q):
    f280(q)


@quantum_circuit
def f282(q):
    f281(q)


@quantum_circuit
def f283(q):
    f282(q)


@quantum_circuit
def f284(q):
    f283(q)


@quantum_circuit
def f285(q):
    f284(q)


@quantum_circuit
def f286(q):
    f285(q)


@quantum_circuit
def f287(q):
    f286(q)


@quantum_circuit
def f288(q):
    f287(q)


@quantum_circuit
def f289(q):
    f288(q)


@quantum_circuit
def f290(q):
    f289(q)


@quantum_circuit
def f291(q):
    f290(q)


@quantum_circuit
def f292(q):
    f291(q)


@quantum_circuit
def f293(q):
    f292(q)


@quantum_circuit
def f294(q):
    f293(q)


@quantum_circuit
def f295(q):
    f294(q)


@quantum_circuit
def f296(q):
    f295(q)


@quantum_circuit
def f297(q):
    f296(q)


@quantum_circuit
def f298(q):
    f297(q)


@quantum_circuit
def f299(q):
    f298(q)


@quantum_circuit
def f300(q):
    f299(q)


@quantum_circuit
def f301(q):
    f300(q)


@quantum_circuit
def f302(q):
    f301(q)


@quantum_circuit
def f303(q):
    f302(q)


@quantum_circuit
def f304(q):
    f303(q)


@quantum_circuit
def f305(q):
    f304(q)


@quantum_circuit
def f306(q):
    f305(q)


@quantum_circuit
def f307(q):
    f306(q)


@quantum_circuit
def f308(q):
    f307(q)


@quantum_circuit
def f309(q):
    f308(q)


@quantum_circuit
def f310(q):
    f309(q)


@quantum_circuit
def f311(q):
    f310(q)


@quantum_circuit
def f312(q):
    f311(q)


@quantum_circuit
def f313(q):
    f312(q)


@quantum_circuit
def f314(q):
    f313(q)


@quantum_circuit
def f315(q):
    f314(q)


@quantum_circuit
def f316(q):
    f315(q)


@quantum_circuit
def f317(q):
    f316(q)


@quantum_circuit
def f318(q):
    f317(q)


@quantum_circuit
def f319(q):
    f318(q)


@quantum_circuit
def f320(q):
    f319(q)


@quantum_circuit
def f321(q):
    f320(q)


@quantum_circuit
def f322(q):
    f321(q)


@quantum_circuit
def f323(q):
    f322(q)


@quantum_circuit
def f324(q):
    f323(q)


@quantum_circuit
def f325(q):
    f324(q)


@quantum_circuit
def f326(q):
    f325(q)


@quantum_circuit
def f327(q):
    f326(q)


@quantum_circuit
def f328(q):
    f327(q)


@quantum_circuit
def f329(q):
    f328(q)


@quantum_circuit
def f330(q):
    f329(q)


@quantum_circuit
def f331(q):
    f330(q)


@quantum_circuit
def f332(q):
    f331(q)


@quantum_circuit
def f333(q):
    f332(q)


@quantum_circuit
def f334(q):
    f333(q)


@quantum_circuit
def f335(q):
    f334(q)


@quantum_circuit
def f336(q):
    f335(q)


@quantum_circuit
def f337(q):
    f336(q)


@quantum_circuit
def f338(q):
    f337(q)


@quantum_circuit
def f339(q):
    f338(q)


@quantum_circuit
def f340(q):
    f339(q)


@quantum_circuit
def f341(q):
    f340(q)


@quantum_circuit
def f342(q):
    f341(q)


@quantum_circuit
def f343(q):
    f342(q)


@quantum_circuit
def f344(q):
    f343(q)


@quantum_circuit
def f345(q):
    f344(q)


@quantum_circuit
def f346(q):
    f345(q)


@quantum_circuit
def f347(q):
    f346(q)


@quantum_circuit
def f348(q):
    f347(q)


@quantum_circuit
def f349(q):
    f348(q)


@quantum_circuit
def f350(q):
    f349(q)


@quantum_circuit
def f351(q):
    f350(q)


@quantum_circuit
def f352(q):
    f351(q)


@quantum_circuit
def f353(q):
    f352(q)


@quantum_circuit
def f354(q):
    f353(q)


@quantum_circuit
def f355(q):
    f354(q)


@quantum_circuit
def f356(q):
    f355(q)


@quantum_circuit
def f357(q):
    f356(q)


@quantum_circuit
def f358(q):
    f357(q)


@quantum_circuit
def f359(q):
    f358(q)


@quantum_circuit
def f360(q):
    f359(q)


@quantum_circuit
def f361(q):
    f360(q)


@quantum_circuit
def f362(q):
    f361(q)


@quantum_circuit
def f363(q):
    f362(q)


@quantum_circuit
def f364(q):
    f363(q)


@quantum_circuit
def f365(q):
    f364(q)


@quantum_circuit
def f366(q):
    f365(q)


@quantum_circuit
def f367(q):
    f366(q)


@quantum_circuit
def f368(q):
    f367(q)


@quantum_circuit
def f369(q):
    f368(q)


@quantum_circuit
def f370(q):
    f369(q)


@quantum_circuit
def f371(q):
    f370(q)


@quantum_circuit
def f372(q):
    f371(q)


@quantum_circuit
def f373(q):
    f372(q)


@quantum_circuit
def f374(q):
    f373(q)


@quantum_circuit
def f375(q):
    f374(q)


@quantum_circuit
def f376(q):
    f375(q)


@quantum_circuit
def f377(q):
    f376(q)


@quantum_circuit
def f378(q):
    f377(q)


@quantum_circuit
def f379(q):
    f378(q)


@quantum_circuit
def f380(q):
    f379(q)


@quantum_circuit
def f381(q):
    f380(q)


@quantum_circuit
def f382(q):
    f381(q)


@quantum_circuit
def f383(q):
    f382(q)


@quantum_circuit
def f384(q):
    f383(q)


@quantum_circuit
def f385(q):
    f384(q)


@quantum_circuit
def f386(q):
    f385(q)


@quantum_circuit
def f387(q):
    f386(q)


@quantum_circuit
def f388(q):
    f387(q)


@quantum_circuit
def f389(q):
    f388(q)


@quantum_circuit
def f390(q):
    f389(q)


@quantum_circuit
def f391(q):
    f390(q)


@quantum_circuit
def f392(q):
    f391(q)


@quantum_circuit
def f393(q):
    f392(q)


@quantum_circuit
def f394(q):
    f393(q)


@quantum_circuit
def f395(q):
    f394(q)


@quantum_circuit
def f396(q):
    f395(q)


@quantum_circuit
def f397(q):
    f396(q)


@quantum_circuit
def f398(q):
    f397(q)


@quantum_circuit
def f399(q):
    f398(q)


@quantum_circuit
def f400(q):
    f399(q)


@quantum_circuit
def f401(q):
    f400(q)


@quantum_circuit
def f402(q):
    f401(q)


@quantum_circuit
def f403(q):
    f402(q)


@quantum_circuit
def f404(q):
    f403(q)


@quantum_circuit
def f405(q):
    f404(q)


@quantum_circuit
def f406(q):
    f405(q)


@quantum_circuit
def f407(q):
    f406(q)


@quantum_circuit
def f408(q):
    f407(q)


@quantum_circuit
def f409(q):
    f408(q)


@quantum_circuit
def f410(q):
    f409(q)


@quantum_circuit
def f411(q):
    f410(q)


@quantum_circuit
def f412(q):
    f411(q)


@quantum_circuit
def f413(q):
    f412(q)


@quantum_circuit
def f414(q):
    f413(q)


@quantum_circuit
def f415(q):
    f414(q)


@quantum_circuit
def f416(q):
    f415(q)


@quantum_circuit
def f417(q):
    f416(q)


@quantum_circuit
def f418(q):
    f417(q)


@quantum_circuit
def f419(q):
    f418(q)


@quantum_circuit
def f420(q):
    f419(q)


@quantum_circuit
def f421(q):
    f420(q)


@quantum_circuit
def f422(q):
    f421(q)


@quantum_circuit
def f423(q):
    f422(q)


@quantum_circuit
def f424(q):
    f423(q)


@quantum_circuit
def f425(q):
    f424(q)


@quantum_circuit
def f426(q):
    f425(q)


@quantum_circuit
def f427(q):
    f426(q)


@quantum_circuit
def f428(q):
    f427(q)


@quantum_circuit
def f429(q):
    f428(q)


@quantum_circuit
def f430(q):
    f429(q)


@quantum_circuit
def f431(q):
    f430(q)


@quantum_circuit
def f432(q):
    f431(q)


@quantum_circuit
def f433(q):
    f432(q)


@quantum_circuit
def f434(q):
    f433(q)


@quantum_circuit
def f435(q):
    f434(q)


@quantum_circuit
def f436(q):
    f435(q)


@quantum_circuit
def f437(q):
    f436(q)


@quantum_circuit
def f438(q):
    f437(q)


@quantum_circuit
def f439(q):
    f438(q)


@quantum_circuit
def f440(q):
    f439(q)


@quantum_circuit
def f441(q):
    f440(q)


@quantum_circuit
def f442(q):
    f441(q)


@quantum_circuit
def f443(q):
    f442(q)


@quantum_circuit
def f444(q):
    f443(q)


@quantum_circuit
def f445(q):
    f444(q)


@quantum_circuit
def f446(q):
    f445(q)


@quantum_circuit
def f447(q):
    f446(q)


@quantum_circuit
def f448(q):
    f447(q)


@quantum_circuit
def f449(q):
    f448(q)


@quantum_circuit
def f450(q):
    f449(q)


@quantum_circuit
def f451(q):
    f450(q)


@quantum_circuit
def f452(q):
    f451(q)


@quantum_circuit
def f453(q):
    f452(q)


@quantum_circuit
def f454(q):
    f453(q)


@quantum_circuit
def f455(q):
    f454(q)


@quantum_circuit
def f456(q):
    f455(q)


@quantum_circuit
def f457(q):
    f456(q)


@quantum_circuit
def f458(q):
    f457(q)


@quantum_circuit
def f459(q):
    f458(q)


@quantum_circuit
def f460(q):
    f459(q)


@quantum_circuit
def f461(q):
    f460(q)


@quantum_circuit
def f462(q):
    f461(q)


@quantum_circuit
def f463(q):
    f462(q)


@quantum_circuit
def f464(q):
    f463(q)


@quantum_circuit
def f465(q):
    f464(q)


@quantum_circuit
def f466(q):
    f465(q)


@quantum_circuit
def f467(q):
    f466(q)


@quantum_circuit
def f468(q):
    f467(q)


@quantum_circuit
def f469(q):
    f468(q)


@quantum_circuit
def f470(q):
    f469(q)


@quantum_circuit
def f471(q):
    f470(q)


@quantum_circuit
def f472(q):
    f471(q)


@quantum_circuit
def f473(q):
    f472(q)


@quantum_circuit
def f474(q):
    f473(q)


@quantum_circuit
def f475(q):
    f474(q)


@quantum_circuit
def f476(q):
    f475(q)


@quantum_circuit
def f477(q):
    f476(q)


@quantum_circuit
def f478(q):
    f477(q)


@quantum_circuit
def f479(q):
    f478(q)


@quantum_circuit
def f480(q):
    f479(q)


@quantum_circuit
def f481(q):
    f480(q)


@quantum_circuit
def f482(q):
    f481(q)


@quantum_circuit
def f483(q):
    f482(q)


@quantum_circuit
def f484(q):
    f483(q)


@quantum_circuit
def f485(q):
    f484(q)


@quantum_circuit
def f486(q):
    f485(q)


@quantum_circuit
def f487(q):
    f486(q)


@quantum_circuit
def f488(q):
    f487(q)


@quantum_circuit
def f489(q):
    f488(q)


@quantum_circuit
def f490(q):
    f489(q)


@quantum_circuit
def f491(q):
    f490(q)


@quantum_circuit
def f492(q):
    f491(q)


@quantum_circuit
def f493(q):
    f492(q)


@quantum_circuit
def f494(q):
    f493(q)


@quantum_circuit
def f495(q):
    f494(q)


@quantum_circuit
def f496(q):
    f495(q)


@quantum_circuit
def f497(q):
    f496(q)


@quantum_circuit
def f498(q):
    f497(q)


@quantum_circuit
def f499(q):
    f498(q)


from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    f499(0)
