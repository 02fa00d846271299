// Published STS conformance vectors (STS 531-1-0-02 for EA07, STS 531-1-0-04 for
// EA11) beyond vectors/sts.json, as transcribed in the test suites of
// NectarAPI/tokens-service (Java) and KellyKinyama/nectar_sts_dart
// (test/sts_compliance_*.dart). Data only: the parameters and expected token
// numbers. All use RND 5 and KEN 255 unless stated.
//
// Not taken: NectarAPI's "Nectar_1" sweep (a vendor extension that truncates
// amounts ≥ 1 to 0.1 before encoding instead of rounding up) and the Dart port's
// own CTSA19 reconstruction (a key change to the same key).

export interface KeySetup {
  dkga: 'DKGA02' | 'DKGA04';
  vendingKey: string;
  pan: string;
  sgc: string;
  ti: string;
  krn: number;
  kt: number;
  baseDate: 1993 | 2014 | 2035;
  algorithm: 'EA07' | 'EA11';
}

export interface PublishedCase {
  id: string;
  key: KeySetup;
  class: 0 | 2;
  subclass: number;
  issued: string;
  amount?: number;
  value?: number;
  /** NectarAPI's TID quirk baked into a vector: add this to the standard TID. */
  tidAdjust?: number;
  token: string;
}

const PAN_A = '600727000000000009';
const PAN_B = '000001000000000082';
const VK64 = 'abababababababab';
const VK160 = 'abababababababab949494949494949401234567';

const STA02_A: KeySetup = { dkga: 'DKGA02', vendingKey: VK64, pan: PAN_A, sgc: '123456', ti: '01', krn: 1, kt: 2, baseDate: 1993, algorithm: 'EA07' };
const STA02_B: KeySetup = { ...STA02_A, pan: PAN_B };
function STA04(baseDate: 1993 | 2014 | 2035, krn: number): KeySetup {
  return { dkga: 'DKGA04', vendingKey: VK160, pan: PAN_A, sgc: '123457', ti: '01', krn, kt: 2, baseDate, algorithm: 'EA07' };
}
function M04(baseDate: 1993 | 2014 | 2035, krn: number): KeySetup {
  return { ...STA04(baseDate, krn), algorithm: 'EA11' };
}
const M04_B: KeySetup = { ...M04(1993, 1), pan: PAN_B };

export const PUBLISHED_CASES: PublishedCase[] = [
  // STS 531-1-0-02 (EA07, DKGA02)
  { id: 'CTSA01 step 4 water, PAN B', key: STA02_B, class: 0, subclass: 1, issued: '2004-03-01T14:10Z', amount: 0.1, token: '09109691696351271646' },
  { id: 'CTSA01 step 5 gas', key: STA02_A, class: 0, subclass: 2, issued: '2004-03-01T14:15Z', amount: 0.1, token: '67586531586639825066' },
  { id: 'CTSA01 step 6 gas, PAN B', key: STA02_B, class: 0, subclass: 2, issued: '2004-03-01T14:20Z', amount: 0.1, token: '35758660990071466853' },
  { id: 'CTSA04 step 2 clear credit, PAN B', key: STA02_B, class: 2, subclass: 1, issued: '2004-03-28T09:20Z', value: 0xffff, token: '69986678528351463847' },
  { id: 'CTSA06 clear tamper', key: STA02_A, class: 2, subclass: 5, issued: '2004-03-28T10:00Z', value: 0, token: '37037300014464855694' },
  { id: 'CTSA07 MPPUL 10 W', key: STA02_A, class: 2, subclass: 6, issued: '2004-03-28T10:20Z', value: 10, token: '30220533115430798647' },
  { id: 'CTSA09 clear credit 00:00', key: STA02_A, class: 2, subclass: 1, issued: '2004-03-29T00:00Z', value: 0xffff, token: '10208942296089183521' },
  { id: 'CTSA09 clear credit 00:03', key: STA02_A, class: 2, subclass: 1, issued: '2004-03-29T00:03Z', value: 0xffff, token: '43348834939937913498' },
  { id: 'CTSA09 clear credit 00:04', key: STA02_A, class: 2, subclass: 1, issued: '2004-03-29T00:04Z', value: 0xffff, token: '51681104150374451564' },
  { id: 'CTSA09 clear credit 00:05', key: STA02_A, class: 2, subclass: 1, issued: '2004-03-29T00:05Z', value: 0xffff, token: '50526247723864280405' },
  { id: 'CTSA09 clear credit 00:01 (NectarAPI adds 1 to the TID at minute-of-day 1)', key: STA02_A, class: 2, subclass: 1, issued: '2004-03-29T00:01Z', value: 0xffff, tidAdjust: 1, token: '20388873191656671689' },
  { id: 'CTSA10 electricity 25.6', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:30Z', amount: 25.6, token: '26456622012185850752' },
  { id: 'CTSA10 electricity 1638.3', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '02194538019157867319' },
  { id: 'CTSA10 electricity 1638.4', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '49848950875249585071' },
  { id: 'CTSA10 electricity 2000.0', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '71997443697501228179' },
  { id: 'CTSA10 electricity 18022.3', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '58589277912776864555' },
  { id: 'CTSA10 electricity 18022.4', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '16328229234437142451' },
  { id: 'CTSA10 electricity 181862.3', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '45001756646344378677' },
  { id: 'CTSA10 electricity 181862.4', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '15810488151857362998' },
  { id: 'CTSA10 electricity 1820162.4', key: STA02_A, class: 0, subclass: 0, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '42222423067848970276' },
  { id: 'CTSA10 water 25.6', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:30Z', amount: 25.6, token: '44275716003808438853' },
  { id: 'CTSA10 water 1638.3', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '18252763951429538816' },
  { id: 'CTSA10 water 1638.4', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '27315011099256270180' },
  { id: 'CTSA10 water 2000.0', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '63822263014624002901' },
  { id: 'CTSA10 water 18022.3', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '09641054211308025667' },
  { id: 'CTSA10 water 18022.4', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '44446096428101342168' },
  { id: 'CTSA10 water 181862.3', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '28708466031297612806' },
  { id: 'CTSA10 water 181862.4', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '10341114843091227763' },
  { id: 'CTSA10 water 1820162.4', key: STA02_A, class: 0, subclass: 1, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '05942777944950076038' },
  { id: 'CTSA10 gas 25.6', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:30Z', amount: 25.6, token: '55421978213496083894' },
  { id: 'CTSA10 gas 1638.3', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '19542256788533803049' },
  { id: 'CTSA10 gas 1638.4', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '00240351248989131846' },
  { id: 'CTSA10 gas 2000.0', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '09767096307961035977' },
  { id: 'CTSA10 gas 18022.3', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '48113663060937699726' },
  { id: 'CTSA10 gas 18022.4', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '03981404420542897416' },
  { id: 'CTSA10 gas 181862.3', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '14196243940519813244' },
  { id: 'CTSA10 gas 181862.4', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '49902394914324621132' },
  { id: 'CTSA10 gas 1820162.4', key: STA02_A, class: 0, subclass: 2, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '13610552847224033160' },
  { id: 'CTSA12 value 256', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:00Z', value: 256, token: '41932934023937597177' },
  { id: 'CTSA12 value 16383', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:05Z', value: 16383, token: '39962525051716972228' },
  { id: 'CTSA12 value 16384', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:10Z', value: 16384, token: '49726922948713857933' },
  { id: 'CTSA12 value 20000', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:15Z', value: 20000, token: '49240429350369491663' },
  { id: 'CTSA12 value 180223', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:20Z', value: 180223, token: '59901462710025767433' },
  { id: 'CTSA12 value 180224', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:25Z', value: 180224, token: '19230023168014606006' },
  { id: 'CTSA12 value 1818623', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:30Z', value: 1818623, token: '15202793104399278539' },
  { id: 'CTSA12 value 1818624', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:35Z', value: 1818624, token: '39289527337368539951' },
  { id: 'CTSA12 value 18201624', key: STA02_A, class: 2, subclass: 0, issued: '2004-04-01T07:40Z', value: 18201624, token: '64902502692705103624' },
  { id: 'CTSA13 value 256', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:00Z', value: 256, token: '31529222328157245680' },
  { id: 'CTSA13 value 16383', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:05Z', value: 16383, token: '73693330413053816261' },
  { id: 'CTSA13 value 16384', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:10Z', value: 16384, token: '54550534704168942701' },
  { id: 'CTSA13 value 20000', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:15Z', value: 20000, token: '59764600311380323340' },
  { id: 'CTSA13 value 180223', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:20Z', value: 180223, token: '40345762458084906193' },
  { id: 'CTSA13 value 180224', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:25Z', value: 180224, token: '66940669945224810632' },
  { id: 'CTSA13 value 1818623', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:30Z', value: 1818623, token: '39456295247583474882' },
  { id: 'CTSA13 value 1818624', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:35Z', value: 1818624, token: '71498975780521030688' },
  { id: 'CTSA13 value 18201624', key: STA02_A, class: 2, subclass: 6, issued: '2004-04-01T08:40Z', value: 18201624, token: '57078032150370797843' },
  { id: 'CTSA14 value 0x0000', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:00Z', value: 0x0000, token: '24406351748405762287' },
  { id: 'CTSA14 value 0x0004', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:10Z', value: 0x0004, token: '17696673116286267663' },
  { id: 'CTSA14 value 0x0005', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:15Z', value: 0x0005, token: '47739859634763202644' },
  { id: 'CTSA14 value 0x0006', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:20Z', value: 0x0006, token: '23456948011089526127' },
  { id: 'CTSA14 value 0x0007', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:25Z', value: 0x0007, token: '51867282903899304686' },
  { id: 'CTSA14 value 0xffff', key: STA02_A, class: 2, subclass: 1, issued: '2004-04-01T09:05Z', value: 0xffff, token: '48263195037886996694' },
  { id: 'CTSA21 water 1', key: STA02_A, class: 0, subclass: 1, issued: '2005-05-23T10:01Z', amount: 1, token: '15415954497866603070' },
  { id: 'CTSA21 water 16383', key: STA02_A, class: 0, subclass: 1, issued: '2005-05-24T10:02Z', amount: 16383, token: '37577557589608193918' },
  { id: 'CTSA21 water 16384', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-23T23:10:03Z', amount: 16384, token: '64605231735471529556' },
  { id: 'CTSA21 water 180224', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T10:04Z', amount: 180224, token: '61396462165248534316' },
  { id: 'CTSA21 water 1818624', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:00Z', amount: 1818624, token: '27442853458265256809' },
  { id: 'CTSA21 water 182262', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:01Z', amount: 182262, token: '60366325560961667086' },
  { id: 'CTSA21 water 182264', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:02Z', amount: 182264, token: '49837510367703553651' },
  { id: 'CTSA21 water 182024', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:03Z', amount: 182024, token: '65892074689465900210' },
  { id: 'CTSA21 water 182.5', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:04Z', amount: 182.5, token: '31056801750423680816' },
  { id: 'CTSA21 water 1673.8', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:05Z', amount: 1673.8, token: '20363556736975891316' },
  { id: 'CTSA21 water 0', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T20:10Z', amount: 0, token: '16838670950350007721' },
  { id: 'CTSA21 water 17654.3', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T11:00Z', amount: 17654.3, token: '20884251612329507769' },
  { id: 'CTSA21 water 123', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T20:12Z', amount: 123, token: '29433837651179279051' },
  { id: 'CTSA21 water 180224', key: STA02_A, class: 0, subclass: 1, issued: '2006-04-24T20:14Z', amount: 180224, token: '56221045810819914754' },
  { id: 'CTSA21 water 15671.4', key: STA02_A, class: 0, subclass: 1, issued: '2006-05-12T20:15Z', amount: 15671.4, token: '07426208391727345260' },
  { id: 'CTSA22 gas 1', key: STA02_A, class: 0, subclass: 2, issued: '2006-04-26T10:01Z', amount: 1, token: '30790445533281098559' },
  { id: 'CTSA22 gas 16383', key: STA02_A, class: 0, subclass: 2, issued: '2006-05-27T10:02Z', amount: 16383, token: '42894813892015838675' },
  { id: 'CTSA22 gas 16384', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-23T10:03Z', amount: 16384, token: '52434363099394415104' },
  { id: 'CTSA22 gas 180224', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-24T10:04Z', amount: 180224, token: '02188175533508938765' },
  { id: 'CTSA22 gas 18824', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-25T11:00Z', amount: 18824, token: '37844075275013703544' },
  { id: 'CTSA22 gas 182624', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:01Z', amount: 182624, token: '21792662786579369978' },
  { id: 'CTSA22 gas 18204', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:02Z', amount: 18204, token: '49679852898684944605' },
  { id: 'CTSA22 gas 42624', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:03Z', amount: 42624, token: '23701256401082544774' },
  { id: 'CTSA22 gas 182044', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:04Z', amount: 182044, token: '37625880630538746268' },
  { id: 'CTSA22 gas 17814', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:05Z', amount: 17814, token: '41502904237047264837' },
  { id: 'CTSA22 gas 120345', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T20:10Z', amount: 120345, token: '69115163697886873528' },
  { id: 'CTSA22 gas 10449', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T11:00Z', amount: 10449, token: '57141025105111259130' },
  { id: 'CTSA22 gas 12449', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T20:12Z', amount: 12449, token: '07841085711493671481' },
  { id: 'CTSA22 gas 80224', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T20:14Z', amount: 80224, token: '53540735038206224963' },
  { id: 'CTSA22 gas 120414', key: STA02_A, class: 0, subclass: 2, issued: '2007-04-26T20:15Z', amount: 120414, token: '64397019565756691049' },
  // STS 531-1-0-02 (EA07, DKGA04)
  { id: 'CTSA24 clear credit', key: STA04(1993, 1), class: 2, subclass: 1, issued: '2008-05-26T08:00Z', value: 0xffff, token: '08144275084202187413' },
  { id: 'CTSA25 base date 1993 subclass 1', key: STA04(1993, 1), class: 0, subclass: 1, issued: '2009-01-01T08:05Z', amount: 0.1, token: '56727749990719585416' },
  { id: 'CTSA25 base date 1993 subclass 2', key: STA04(1993, 1), class: 0, subclass: 2, issued: '2009-01-01T08:10Z', amount: 0.1, token: '25938479605175185937' },
  { id: 'CTSA25 base date 2014 subclass 0', key: STA04(2014, 4), class: 0, subclass: 0, issued: '2014-01-01T08:00Z', amount: 0.1, token: '20324881626382980759' },
  { id: 'CTSA25 base date 2014 subclass 1', key: STA04(2014, 4), class: 0, subclass: 1, issued: '2014-01-01T08:05Z', amount: 0.1, token: '09907513011694393160' },
  { id: 'CTSA25 base date 2014 subclass 2', key: STA04(2014, 4), class: 0, subclass: 2, issued: '2014-01-01T08:10Z', amount: 0.1, token: '50054427724775110925' },
  { id: 'CTSA25 base date 2035 subclass 0', key: STA04(2035, 5), class: 0, subclass: 0, issued: '2035-01-01T08:00Z', amount: 0.1, token: '09239624803025986815' },
  { id: 'CTSA25 base date 2035 subclass 1', key: STA04(2035, 5), class: 0, subclass: 1, issued: '2035-01-01T08:05Z', amount: 0.1, token: '31176414469542247929' },
  { id: 'CTSA25 base date 2035 subclass 2', key: STA04(2035, 5), class: 0, subclass: 2, issued: '2035-01-01T08:10Z', amount: 0.1, token: '13512126869939531125' },
  // STS 531-1-0-04 (EA11 MISTY1, DKGA04)
  { id: 'CTSA01 step 5, PAN B', key: M04_B, class: 0, subclass: 0, issued: '2004-03-01T13:20Z', amount: 0.1, token: '25453597494250138964' },
  { id: 'CTSA01 2004-03-01T13:05Z subclass 1', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-03-01T13:05Z', amount: 0.1, token: '47186281207955155808' },
  { id: 'CTSA01 2004-03-01T13:10Z subclass 2', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-03-01T13:10Z', amount: 0.1, token: '52059556253782091701' },
  { id: 'CTSA01 2004-03-01T13:25Z subclass 1', key: M04_B, class: 0, subclass: 1, issued: '2004-03-01T13:25Z', amount: 0.1, token: '41136669315054818626' },
  { id: 'CTSA01 2004-03-01T13:30Z subclass 2', key: M04_B, class: 0, subclass: 2, issued: '2004-03-01T13:30Z', amount: 0.1, token: '22735221987748758248' },
  { id: 'CTSA01 2014-01-01T08:00Z subclass 0', key: M04(2014, 4), class: 0, subclass: 0, issued: '2014-01-01T08:00Z', amount: 0.1, token: '13444522537517076834' },
  { id: 'CTSA01 2014-01-01T08:05Z subclass 1', key: M04(2014, 4), class: 0, subclass: 1, issued: '2014-01-01T08:05Z', amount: 0.1, token: '03477912490596695895' },
  { id: 'CTSA01 2014-01-01T08:10Z subclass 2', key: M04(2014, 4), class: 0, subclass: 2, issued: '2014-01-01T08:10Z', amount: 0.1, token: '06094571069413075467' },
  { id: 'CTSA01 2035-01-01T08:00Z subclass 0', key: M04(2035, 5), class: 0, subclass: 0, issued: '2035-01-01T08:00Z', amount: 0.1, token: '11907826947753213480' },
  { id: 'CTSA01 2035-01-01T08:05Z subclass 1', key: M04(2035, 5), class: 0, subclass: 1, issued: '2035-01-01T08:05Z', amount: 0.1, token: '19640099949346431996' },
  { id: 'CTSA01 2035-01-01T08:10Z subclass 2', key: M04(2035, 5), class: 0, subclass: 2, issued: '2035-01-01T08:10Z', amount: 0.1, token: '11741155092330337876' },
  { id: 'CTSA03 MPL 1000 W', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-03-28T09:01Z', value: 1000, token: '26521936751055502278' },
  { id: 'CTSA04 step 1 clear credit', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-28T09:15Z', value: 0xffff, token: '59725289138639529749' },
  { id: 'CTSA04 step 2 clear credit, PAN B', key: M04_B, class: 2, subclass: 1, issued: '2004-03-28T09:16Z', value: 0xffff, token: '43917986274716482997' },
  { id: 'CTSA06 clear tamper', key: M04(1993, 1), class: 2, subclass: 5, issued: '2004-03-28T10:00Z', value: 0, token: '02455019196514047304' },
  { id: 'CTSA07 MPPUL 10 W', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-03-28T10:20Z', value: 10, token: '16135127146988830614' },
  { id: 'CTSA09 value 0xffff at 2004-03-29T00:00Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-29T00:00Z', value: 0xffff, token: '09791211239166238461' },
  { id: 'CTSA09 value 0xffff at 2004-03-29T00:01Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-29T00:01Z', value: 0xffff, tidAdjust: 1, token: '18070818655140104337' },
  { id: 'CTSA09 value 0xffff at 2004-03-29T00:03Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-29T00:03Z', value: 0xffff, token: '59463760341829598722' },
  { id: 'CTSA09 value 0xffff at 2004-03-29T00:04Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-29T00:04Z', value: 0xffff, token: '49512072598296997272' },
  { id: 'CTSA09 value 0xffff at 2004-03-29T00:05Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-03-29T00:05Z', value: 0xffff, token: '59135803195278393273' },
  { id: 'CTSA12 value 256 at 2004-04-01T07:00Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:00Z', value: 256, token: '58601433826945463485' },
  { id: 'CTSA12 value 16383 at 2004-04-01T07:05Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:05Z', value: 16383, token: '13997395479415026219' },
  { id: 'CTSA12 value 16384 at 2004-04-01T07:10Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:10Z', value: 16384, token: '18037738085263294820' },
  { id: 'CTSA12 value 20000 at 2004-04-01T07:15Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:15Z', value: 20000, token: '06738975074638745925' },
  { id: 'CTSA12 value 180223 at 2004-04-01T07:20Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:20Z', value: 180223, token: '66354091567942569601' },
  { id: 'CTSA12 value 180224 at 2004-04-01T07:25Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:25Z', value: 180224, token: '62853351521017859877' },
  { id: 'CTSA12 value 1818623 at 2004-04-01T07:30Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:30Z', value: 1818623, token: '40984149905900332649' },
  { id: 'CTSA12 value 1818624 at 2004-04-01T07:35Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:35Z', value: 1818624, token: '26882838654580901052' },
  { id: 'CTSA12 value 18201624 at 2004-04-01T07:40Z', key: M04(1993, 1), class: 2, subclass: 0, issued: '2004-04-01T07:40Z', value: 18201624, token: '29255956459122361629' },
  { id: 'CTSA13 value 256 at 2004-04-01T08:00Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:00Z', value: 256, token: '23509767215559230954' },
  { id: 'CTSA13 value 16383 at 2004-04-01T08:05Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:05Z', value: 16383, token: '70247784567899484178' },
  { id: 'CTSA13 value 16384 at 2004-04-01T08:10Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:10Z', value: 16384, token: '36304916073545542570' },
  { id: 'CTSA13 value 20000 at 2004-04-01T08:15Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:15Z', value: 20000, token: '11066406403853302811' },
  { id: 'CTSA13 value 180223 at 2004-04-01T08:20Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:20Z', value: 180223, token: '25512033356036953640' },
  { id: 'CTSA13 value 180224 at 2004-04-01T08:25Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:25Z', value: 180224, token: '13785431682542358258' },
  { id: 'CTSA13 value 1818623 at 2004-04-01T08:30Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:30Z', value: 1818623, token: '06889958680004063872' },
  { id: 'CTSA13 value 1818624 at 2004-04-01T08:35Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:35Z', value: 1818624, token: '27410125084608663818' },
  { id: 'CTSA13 value 18201624 at 2004-04-01T08:40Z', key: M04(1993, 1), class: 2, subclass: 6, issued: '2004-04-01T08:40Z', value: 18201624, token: '60786080230724485517' },
  { id: 'CTSA14 value 0x0000 at 2004-04-01T09:00Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:00Z', value: 0x0000, token: '06768431134031257922' },
  { id: 'CTSA14 value 0x0004 at 2004-04-01T09:10Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:10Z', value: 0x0004, token: '48872720007959408665' },
  { id: 'CTSA14 value 0x0005 at 2004-04-01T09:15Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:15Z', value: 0x0005, token: '51810809087550125677' },
  { id: 'CTSA14 value 0x0006 at 2004-04-01T09:20Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:20Z', value: 0x0006, token: '13848051316848177124' },
  { id: 'CTSA14 value 0x0007 at 2004-04-01T09:25Z', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:25Z', value: 0x0007, token: '63506294564247105352' },
  { id: 'CTSA14 value 0xffff', key: M04(1993, 1), class: 2, subclass: 1, issued: '2004-04-01T09:05Z', value: 0xffff, token: '59338638600207707879' },
  { id: 'CTSA10 subclass 0 amount 25.6', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:30Z', amount: 25.6, token: '63638916334124550935' },
  { id: 'CTSA10 subclass 1 amount 25.6', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:30Z', amount: 25.6, token: '08844040967758161989' },
  { id: 'CTSA10 subclass 2 amount 25.6', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:30Z', amount: 25.6, token: '34672027639183365663' },
  { id: 'CTSA10 subclass 0 amount 1638.3', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '06736163174944595611' },
  { id: 'CTSA10 subclass 1 amount 1638.3', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '41707569065487034639' },
  { id: 'CTSA10 subclass 2 amount 1638.3', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:35Z', amount: 1638.3, token: '70087969935165138265' },
  { id: 'CTSA10 subclass 0 amount 1638.4', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '45798100519745983712' },
  { id: 'CTSA10 subclass 1 amount 1638.4', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '61826851589850099670' },
  { id: 'CTSA10 subclass 2 amount 1638.4', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:40Z', amount: 1638.4, token: '60875440664020961982' },
  { id: 'CTSA10 subclass 0 amount 2000.0', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '08362487434932116862' },
  { id: 'CTSA10 subclass 1 amount 2000.0', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '72478269627942954182' },
  { id: 'CTSA10 subclass 2 amount 2000.0', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:45Z', amount: 2000.0, token: '16605563156243942378' },
  { id: 'CTSA10 subclass 0 amount 18022.3', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '33933484656539803471' },
  { id: 'CTSA10 subclass 1 amount 18022.3', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '12311110365531155223' },
  { id: 'CTSA10 subclass 2 amount 18022.3', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:50Z', amount: 18022.3, token: '16614677156798904170' },
  { id: 'CTSA10 subclass 0 amount 18022.4', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '40075282658655256325' },
  { id: 'CTSA10 subclass 1 amount 18022.4', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '68979561791500831417' },
  { id: 'CTSA10 subclass 2 amount 18022.4', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T00:55Z', amount: 18022.4, token: '49208263727993294856' },
  { id: 'CTSA10 subclass 0 amount 181862.3', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '00383912203740575049' },
  { id: 'CTSA10 subclass 1 amount 181862.3', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '36130214068866912790' },
  { id: 'CTSA10 subclass 2 amount 181862.3', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T01:44Z', amount: 181862.3, token: '38374198840578367339' },
  { id: 'CTSA10 subclass 0 amount 181862.4', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '32272089791250978565' },
  { id: 'CTSA10 subclass 1 amount 181862.4', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '49560207524955523897' },
  { id: 'CTSA10 subclass 2 amount 181862.4', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T01:49Z', amount: 181862.4, token: '34384673009506006509' },
  { id: 'CTSA10 subclass 0 amount 1820162.4', key: M04(1993, 1), class: 0, subclass: 0, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '44964671935361377806' },
  { id: 'CTSA10 subclass 1 amount 1820162.4', key: M04(1993, 1), class: 0, subclass: 1, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '47575512827888817714' },
  { id: 'CTSA10 subclass 2 amount 1820162.4', key: M04(1993, 1), class: 0, subclass: 2, issued: '2004-04-01T01:54Z', amount: 1820162.4, token: '40332503820747813730' },
];

/** CTSA11 (and CTSA02 step 2): class 1 test tokens, manufacturer code 0. [control, subclass 0 token, subclass 1 token]. */
export const CLASS1_CONTROL_SWEEP: [number, string, string][] = [
  [0x00001, '00000000000150997584', '01152921509036054672'],
  [0x00002, '00000000000167774880', '01152921513331042448'],
  [0x00004, '00000000000201328896', '01152921521920952465'],
  [0x00008, '18446744073843772416', '01152921539100838034'],
  [0x00010, '36893488147553322496', '01152921573460543637'],
  [0x00020, '00000000000671093248', '01152921642180020378'],
  [0x00040, '00000000001207974400', '01152921779618973828'],
  [0x00080, '00000000002281728512', '01152922054496880824'],
  [0x00100, '00000000004429208064', '01152922604252694700'],
  [0x00200, '00000000008724195840', '01152923703764322536'],
  [0x00400, '00000000017314105857', '01152925902787577952'],
  [0x02000, '00000000137573173770', '01152956689113154192'],
  [0x04000, '00000000275012127252', '01152991873485249680'],
  [0x08000, '00000000549890034216', '01153062242229428368'],
  [0x10000, '00000001099645848124', '01153202979717788816'],
  [0x20000, '00000002199157475960', '01153484454694514832'],
];
export const CLASS1_4DIGIT_ALL_ONES = '02305843005052951967';

export interface PublishedKeyChange {
  id: string;
  key: KeySetup;
  newKey: KeySetup;
  rollover: boolean;
  /** Tokens in section order 1, 2 (, 3, 4); a vector may give only the first two. */
  tokens: string[];
}

/** KEN carried by every published key change. */
export const KEY_CHANGE_KEN = 255;

export const PUBLISHED_KEY_CHANGES: PublishedKeyChange[] = [
  { id: '02 CTSA05 step 2: TI 02 → 01', key: { ...STA02_A, ti: '02' }, newKey: STA02_A, rollover: false, tokens: ['26553210520543055412', '00943705441908264439'] },
  { id: '02 CTSA05 step 3: PAN B, TI 01 → 02', key: STA02_B, newKey: { ...STA02_B, ti: '02' }, rollover: false, tokens: ['36495265416911568628', '35908059266238070883'] },
  { id: '02 CTSA26 step 1: rollover 2014/KRN 4 → 2035/KRN 5', key: STA04(2014, 4), newKey: STA04(2035, 5), rollover: true, tokens: ['44163577485799480640', '26556810679164981397'] },
  { id: '02 CTSA26 step 2: PAN B, rollover', key: { ...STA04(2014, 4), pan: PAN_B }, newKey: { ...STA04(2035, 5), pan: PAN_B }, rollover: true, tokens: ['09658886361133612086', '22434017728466234784'] },
  { id: '04 CTSA05 step 1: 4 sections, TI 01 → 02', key: M04(1993, 1), newKey: { ...M04(1993, 1), ti: '02' }, rollover: false, tokens: ['34812744915211133004', '46903925208523674737', '71464563847088610152', '67904239402617643990'] },
  { id: '04 CTSA05 step 2: rollover to 2014/KRN 4', key: M04(1993, 1), newKey: { ...M04(2014, 4), ti: '02' }, rollover: true, tokens: ['56493341861242437581', '51757380361191578258'] },
  { id: '04 CTSA05 step 3: PAN B', key: M04_B, newKey: { ...M04_B, ti: '02' }, rollover: false, tokens: ['29594465524699505864', '09506536067814156547'] },
];
