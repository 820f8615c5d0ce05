/**
 * Passwords attackers try first (the head of the public breach-frequency lists: SecLists
 * 10-million top 10 000, NCSC 100k), lower-case. A password is refused when it is one of these
 * or one of these followed only by digits and punctuation ("password123!", "dragon2024"), so
 * the list stays short and still covers the common spellings. Words shorter than the minimum
 * length are kept on purpose: they catch their padded forms.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  `
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball
abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890
michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan
jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew tigger sunshine iloveyou
2000 charlie robert thomas hockey ranger daniel starwars klaster 112233 george computer
michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753
aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea biteme matthew
access yankees 987654321 dallas austin thunder taylor matrix william corvette hello martin
heather secret merlin diamond 1234qwer gfhjkm hammer silver 222222 88888888 anthony justin
test bailey q1w2e3r4t5 patrick internet scooter orange 11111 golfer cookie richard samantha
bigdog guitar jackson whatever mickey chicken sparky snoopy maverick phoenix camaro peanut
morgan welcome falcon cowboy ferrari samsung andrea smokey steelers joseph mercedes dakota
arsenal eagles melissa boomer booboo spider nascar monster tigers yellow xxxxxx 123123123
gateway marina diablo bulldog qwer1234 compaq purple hardcore banana junior hannah 123654
porsche lakers iceman money cowboys 987654 london tennis 999999 ncc1701 coffee scooby 0000
miller boston q1w2e3r4 brandon yamaha chester mother forever johnny edward 333333 oliver
redsox player nikita knight fender barney midnight please brandy chicago badboy slayer
rangers charles angel flower bigdaddy rabbit wizard jasper enter rachel chris steven winner
adidas victoria natasha 1q2w3e4r jasmine winter prince panties marine ghbdtn fishing cocacola
casper james 232323 raiders 888888 marlboro gandalf asdfasdf crystal 87654321 12344321 golf
8675309 paradise nirvana 123abc qwert zaq12wsx passw0rd p@ssw0rd p@ssword pa55word admin
administrator root toor changeme default guest user login welcome1 letmein1 password1
password12 password123 passwort motdepasse contrasena senha parola wachtwoord salasana
losenord lösenord sommar vinter hemligt qwertz azerty asdfghjkl zxcvbnm123 qazwsxedc
1qazxsw2 qwe123 abcd1234 abcdef abcdefg abcdefgh 123456a a123456 123abc456 aa123456
iloveyou1 princess1 sunshine1 monkey1 football1 baseball1 superman1 batman1 trustno1
starwars1 pokemon naruto minecraft fortnite roblox google facebook linkedin twitter
instagram youtube microsoft apple windows linux ubuntu oracle cisco huawei netgear
dlink tplink router modem server database backup support helpdesk service office
company business manager secret1 private public security network wireless internet1
callvault recording recorder telephone phone mobile voicemail asterisk freeswitch
kamailio opensips sipuser siprec customer agent supervisor operator console
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday spring autumn
liverpool chelsea1 manchester barcelona realmadrid juventus bayern hammarby aik djurgarden
stockholm goteborg malmo uppsala helsinki sweden sverige finland suomi norway denmark
england america canada germany france
1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e 12qwaszx zaq1xsw2 qwerty123 qwerty1 qwertyu qwertyui
asdf1234 asdf zxcv1234 1qaz 2wsx 3edc poiuytrewq lkjhgfdsa mnbvcxz 0987654321
aaaaaaaaaa 1111111111 0000000000 1212121212 abcabcabc abc12345 abcde12345
letmeinplease iloveyou2 loveyou lovely love123 mylove babygirl baby angel1 angels
sweetie sweetheart honey darling beautiful handsome cutie kitty kitten puppy doggy
chocolate cookie1 candy sugar butterfly rainbow unicorn dolphin elephant tiger lion
eagle shark wolf dragon1 dragons blackdragon ninja samurai warrior hunter1 killer1
master1 god jesus christ heaven angel2 blessed faith hope
  `
    .split(/\s+/)
    .filter((w) => w.length > 0),
);
